"""Sales KPIs over a period, each with its n and, where it estimates a rate or a mean, a 95%
confidence interval (DESIGN "Statistics are honest").

The period is a range of Tehran dates; a deal belongs to it by the day it was closed (win
rate, deal size, cycle length, lost reasons) or the day it entered a stage (stage
conversion). A figure whose n is 0 is None: the page says "no data", never 0%.
"""

import datetime as dt
import math
import statistics

import jdatetime
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy import stats

from peyvand.core import validation
from peyvand.core.models import JalaliDay

from .forecast import local_midnight, percent, weighted_rials
from .models import Deal, Pipeline, Stage, StageChange
from .report_scope import Scope, TargetBook
from .targets import FIRST_YEAR, LAST_YEAR

CONFIDENCE = 0.95
# Longer periods are refused: the calendar table, and any meaningful comparison, end there.
MAX_PERIOD_DAYS = 366 * 10


# ---- the period -------------------------------------------------------------------------------


def default_period() -> tuple[dt.date, dt.date]:
    """The current Jalali year, 1 Farvardin to its last day of Esfand."""
    year = jdatetime.date.fromgregorian(date=timezone.localdate()).year
    first = jdatetime.date(year, 1, 1).togregorian()
    return first, jdatetime.date(year + 1, 1, 1).togregorian() - dt.timedelta(days=1)


def clean_period(start_value, end_value) -> tuple[dt.date, dt.date]:
    """``from`` and ``to`` as ISO or Jalali dates (any digits); each defaults to the current
    Jalali year's bound."""
    errors = validation.FieldErrors()
    start = errors.check("from", lambda: validation.date(start_value))
    end = errors.check("to", lambda: validation.date(end_value))
    errors.raise_if_any()
    default_start, default_end = default_period()
    start, end = start or default_start, end or default_end
    lowest = jdatetime.date(FIRST_YEAR, 1, 1).togregorian()
    highest = jdatetime.date(LAST_YEAR + 1, 1, 1).togregorian() - dt.timedelta(days=1)
    for name, day in (("from", start), ("to", end)):
        if not lowest <= day <= highest:
            errors.add(
                name,
                _("Choose a date from %(first)d to %(last)d (Jalali years).")
                % {"first": FIRST_YEAR, "last": LAST_YEAR},
            )
    if not errors.errors and end < start:
        errors.add("to", _("The end of the period comes before its start."))
    if not errors.errors and (end - start).days > MAX_PERIOD_DAYS:
        errors.add("to", _("Choose a period of at most ten years."))
    errors.raise_if_any()
    return start, end


# ---- statistics -------------------------------------------------------------------------------


def proportion(successes: int, trials: int) -> dict:
    """A rate with its n and 95% Wilson interval (in percent); None values when n = 0."""
    if trials == 0:
        return {"n": 0, "successes": 0, "percent": None, "ci_low": None, "ci_high": None}
    interval = stats.binomtest(successes, trials).proportion_ci(
        confidence_level=CONFIDENCE, method="wilson"
    )
    return {
        "n": trials,
        "successes": successes,
        "percent": round(successes * 100 / trials, 1),
        "ci_low": round(float(interval.low) * 100, 1),
        "ci_high": round(float(interval.high) * 100, 1),
    }


def mean_interval(values: list[float]) -> tuple[float | None, float | None]:
    """The 95% t-interval of the mean; None without at least two values."""
    if len(values) < 2:
        return None, None
    spread = statistics.stdev(values) / math.sqrt(len(values))
    mean = statistics.fmean(values)
    if spread == 0:
        return mean, mean
    low, high = stats.t.interval(CONFIDENCE, len(values) - 1, loc=mean, scale=spread)
    return float(low), float(high)


def _amounts_summary(amounts: list[int]) -> dict:
    """Mean won deal size in Rials, with n and a 95% t-interval (not below zero)."""
    if not amounts:
        return {"n": 0, "mean": None, "ci_low": None, "ci_high": None, "total": 0}
    low, high = mean_interval([float(a) for a in amounts])
    return {
        "n": len(amounts),
        "mean": round(statistics.fmean(amounts)),
        "ci_low": None if low is None else max(0, round(low)),
        "ci_high": None if high is None else round(high),
        "total": sum(amounts),
    }


def _cycle_summary(durations: list[float]) -> dict:
    """Days from creation to winning: median and mean (95% t-interval), with n."""
    if not durations:
        return {"n": 0, "median": None, "mean": None, "ci_low": None, "ci_high": None}
    low, high = mean_interval(durations)
    return {
        "n": len(durations),
        "median": round(statistics.median(durations), 1),
        "mean": round(statistics.fmean(durations), 1),
        "ci_low": None if low is None else round(max(0.0, low), 1),
        "ci_high": None if high is None else round(high, 1),
    }


# ---- the figures ------------------------------------------------------------------------------


def _closed_in(deals, start: dt.date, end: dt.date):
    return deals.filter(
        status__in=[Deal.Status.WON, Deal.Status.LOST],
        closed_at__gte=local_midnight(start),
        closed_at__lt=local_midnight(end + dt.timedelta(days=1)),
    )


def _lost_reasons(lost) -> dict:
    rows = list(
        lost.values("lost_reason_id", "lost_reason__name")
        .annotate(count=Count("id"))
        .order_by("-count", "lost_reason__name")
    )
    total = sum(row["count"] for row in rows)
    return {
        "n": total,
        "reasons": [
            {
                "id": row["lost_reason_id"],
                "name": row["lost_reason__name"],
                "count": row["count"],
                "percent": percent(row["count"], total),
            }
            for row in rows
        ],
    }


def _stage_conversion(scope: Scope, start: dt.date, end: dt.date) -> list[dict]:
    """Per pipeline and stage: of the deals that entered the stage in the period, how many
    later reached a further stage of the pipeline or were won (n = deals that entered)."""
    # Rows with status "open" are entries into a stage; won and lost rows are closings.
    entries = StageChange.objects.filter(
        deal__in=scope.deals().values("pk"),
        status=Deal.Status.OPEN,
        to_stage__isnull=False,
        at__gte=local_midnight(start),
        at__lt=local_midnight(end + dt.timedelta(days=1)),
    )
    later = StageChange.objects.filter(deal_id=OuterRef("deal_id")).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk"))
    )
    moved_on = later.filter(
        Q(status=Deal.Status.WON)
        | Q(
            to_stage__pipeline_id=OuterRef("to_stage__pipeline_id"),
            to_stage__position__gt=OuterRef("to_stage__position"),
        )
    )
    counts = {
        row["to_stage_id"]: row
        for row in entries.annotate(moved_on=Exists(moved_on))
        .values("to_stage_id")
        .annotate(
            entered=Count("deal_id", distinct=True),
            advanced=Count("deal_id", distinct=True, filter=Q(moved_on=True)),
        )
        .order_by()
    }
    pipelines = Pipeline.objects.filter(pk=scope.pipeline.pk) if scope.pipeline else None
    if pipelines is None:
        stage_pipelines = Stage.objects.filter(pk__in=list(counts)).values("pipeline_id")
        pipelines = Pipeline.objects.filter(Q(is_active=True) | Q(pk__in=stage_pipelines))
    result = []
    for pipeline in pipelines.prefetch_related("stages"):
        stages = [s for s in pipeline.stages.all() if s.is_active or s.pk in counts]
        rows = []
        for stage in stages:
            row = counts.get(stage.pk, {"entered": 0, "advanced": 0})
            rows.append(
                {
                    "stage_id": stage.pk,
                    "stage": stage.name,
                    "probability": stage.probability,
                    **proportion(row["advanced"], row["entered"]),
                }
            )
        result.append({"pipeline_id": pipeline.pk, "pipeline": pipeline.name, "stages": rows})
    return result


def _month_keys(start: dt.date, end: dt.date) -> list[int]:
    """The Jalali months the period touches, from the calendar table."""
    return list(
        JalaliDay.objects.filter(date__range=(start, end))
        .values_list("month_key", flat=True)
        .distinct()
        .order_by("month_key")
    )


def _coverage_state(target, remaining, due_count) -> str:
    """no_target: none set for these months; met: the won amount already reaches it;
    no_data: no open deal is expected to close in the period; ok: a ratio is shown."""
    if target is None:
        return "no_target"
    if remaining <= 0:
        return "met"
    return "ok" if due_count else "no_data"


def _pipeline_and_coverage(scope: Scope, start, end, won_amount: int) -> dict:
    """The open pipeline now, and how many times the weighted pipeline expected to close in
    the period covers what is left of the period's target."""
    open_deals = scope.deals().filter(status=Deal.Status.OPEN)
    weighted = F("amount") * F("stage__probability")
    now = open_deals.aggregate(n=Count("id"), total=Sum("amount"), weighted=Sum(weighted))
    due = open_deals.filter(expected_close__range=(start, end)).aggregate(
        n=Count("id"), weighted=Sum(weighted)
    )
    keys = _month_keys(start, end)
    book = TargetBook(scope, sorted({key // 100 for key in keys}))
    target = book.over(keys)
    remaining = None if target is None else target - won_amount
    due_weighted = weighted_rials(due["weighted"])
    state = _coverage_state(target, remaining, due["n"])
    coverage = round(due_weighted / remaining, 2) if state == "ok" else None
    return {
        "open": {
            "n": now["n"],
            "amount": int(now["total"] or 0),
            "weighted": weighted_rials(now["weighted"]),
        },
        "coverage": {
            "n": due["n"],
            "weighted": due_weighted,
            "target": target,
            "won": won_amount,
            "remaining": remaining,
            "ratio": coverage,
            "state": state,
        },
    }


def sales_kpis(scope: Scope, start: dt.date, end: dt.date) -> dict:
    """Every KPI of the period ``start``–``end`` (Tehran dates, inclusive) for ``scope``."""
    if end < start:
        raise ValidationError({"to": [_("The end of the period comes before its start.")]})
    closed = _closed_in(scope.deals(), start, end)
    won_rows = list(
        closed.filter(status=Deal.Status.WON)
        .order_by()
        .values_list("amount", "created_at", "closed_at")
    )
    amounts = [amount for amount, _created, _closed in won_rows]
    cycles = [
        max(0.0, (closed_at - created_at).total_seconds() / 86400)
        for _amount, created_at, closed_at in won_rows
    ]
    lost = _lost_reasons(closed.filter(status=Deal.Status.LOST))
    return {
        "start": start,
        "end": end,
        "win_rate": proportion(len(won_rows), len(won_rows) + lost["n"]),
        "deal_size": _amounts_summary(amounts),
        "cycle_days": _cycle_summary(cycles),
        "stage_conversion": _stage_conversion(scope, start, end),
        "pipeline": _pipeline_and_coverage(scope, start, end, sum(amounts)),
        "lost_reasons": lost,
    }
