"""The sales forecast: by Jalali month, the open pipeline (plain and weighted by stage
probability), what was won, and the target, with won-vs-target to date; per owner and team.

Months come from the calendar table (``core.JalaliDay``): a deal's expected close date, or
the Tehran date of its closing, is looked up there, so a Jalali month starting on the 21st
of a Gregorian one is counted right (DESIGN "Jalali calendar table"). Every figure reads
only the deals the user may see (``Scope.deals``).
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import jdatetime
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Max, Min, OuterRef, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.accounts.models import Team, User
from peyvand.core.models import JalaliDay

from .models import Deal
from .report_scope import Scope, TargetBook

MONTH_NAMES = [
    gettext_lazy("Farvardin"),
    gettext_lazy("Ordibehesht"),
    gettext_lazy("Khordad"),
    gettext_lazy("Tir"),
    gettext_lazy("Mordad"),
    gettext_lazy("Shahrivar"),
    gettext_lazy("Mehr"),
    gettext_lazy("Aban"),
    gettext_lazy("Azar"),
    gettext_lazy("Dey"),
    gettext_lazy("Bahman"),
    gettext_lazy("Esfand"),
]
# Open deals without an expected close date listed on the forecast (the count covers all).
NO_DATE_LISTED = 20


def month_name(month: int) -> str:
    return str(MONTH_NAMES[month - 1])


def month_key_of(date_field: str) -> Subquery:
    """The Jalali ``year * 100 + month`` of a date column, from the calendar table."""
    return Subquery(JalaliDay.objects.filter(date=OuterRef(date_field)).values("month_key")[:1])


def tehran_date(datetime_field: str) -> TruncDate:
    """The local (Tehran) date of a stored UTC datetime."""
    return TruncDate(datetime_field, tzinfo=ZoneInfo(settings.TIME_ZONE))


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()), ZoneInfo(settings.TIME_ZONE))


def current_month_key() -> int:
    today = jdatetime.date.fromgregorian(date=timezone.localdate())
    return today.year * 100 + today.month


def percent(part: int, whole: int | None) -> float | None:
    """``part`` as a percentage of ``whole``, one decimal; None when there is no whole."""
    if not whole:
        return None
    return round(part * 100 / whole, 1)


def weighted_rials(amount_times_percent) -> int:
    """Σ amount × probability% back to whole Rials, rounded half up."""
    return (int(amount_times_percent or 0) + 50) // 100


@dataclass
class Tally:
    """Open and won deals of one month, owner or team."""

    open_count: int = 0
    open_amount: int = 0
    weighted_x100: int = 0  # Σ amount × probability, in hundredths of a Rial
    won_count: int = 0
    won_amount: int = 0
    won_by_month: dict = field(default_factory=dict)

    @property
    def weighted(self) -> int:
        return weighted_rials(self.weighted_x100)

    def add_open(self, row: dict) -> None:
        self.open_count += row["n"]
        self.open_amount += int(row["total"] or 0)
        self.weighted_x100 += int(row["weighted"] or 0)

    def add_won(self, row: dict) -> None:
        self.won_count += row["n"]
        amount = int(row["total"] or 0)
        self.won_amount += amount
        key = row["month_key"]
        self.won_by_month[key] = self.won_by_month.get(key, 0) + amount

    def won_through(self, month_keys) -> int:
        return sum(self.won_by_month.get(key, 0) for key in month_keys)


def year_months(year: int) -> list[dict]:
    """The twelve months of a Jalali year with their first and last Gregorian days."""
    months = list(
        JalaliDay.objects.filter(year=year)
        .values("month", "month_key")
        .annotate(first=Min("date"), last=Max("date"))
        .order_by("month")
    )
    if len(months) != 12:
        raise ValidationError({"year": [_("This year is outside the calendar table.")]})
    return months


def _open_by_month(deals, first: dt.date, last: dt.date) -> list[dict]:
    open_deals = deals.filter(status=Deal.Status.OPEN, expected_close__range=(first, last))
    return list(
        open_deals.annotate(month_key=month_key_of("expected_close"))
        .values("month_key", "owner_id", "team_id")
        .annotate(
            n=Count("id"),
            total=Sum("amount"),
            weighted=Sum(F("amount") * F("stage__probability")),
        )
        .order_by()
    )


def won_between(deals, first: dt.date, last: dt.date):
    """Deals won on a Tehran date from ``first`` to ``last`` (the index on closed_at works)."""
    return deals.filter(
        status=Deal.Status.WON,
        closed_at__gte=local_midnight(first),
        closed_at__lt=local_midnight(last + dt.timedelta(days=1)),
    )


def _won_by_month(deals, first: dt.date, last: dt.date) -> list[dict]:
    return list(
        won_between(deals, first, last)
        .annotate(closed_on=tehran_date("closed_at"))
        .annotate(month_key=month_key_of("closed_on"))
        .values("month_key", "owner_id", "team_id")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    )


def _no_date(deals) -> dict:
    undated = deals.filter(status=Deal.Status.OPEN, expected_close__isnull=True)
    totals = undated.aggregate(
        n=Count("id"), total=Sum("amount"), weighted=Sum(F("amount") * F("stage__probability"))
    )
    listed = undated.select_related("stage", "owner").order_by("-amount", "-id")[:NO_DATE_LISTED]
    return {
        "count": totals["n"],
        "amount": int(totals["total"] or 0),
        "weighted": weighted_rials(totals["weighted"]),
        "deals": list(listed),
    }


def _summary(tally: Tally, target: int | None, won_to_date: int, target_to_date) -> dict:
    return {
        "open_count": tally.open_count,
        "open_amount": tally.open_amount,
        "weighted": tally.weighted,
        "won_count": tally.won_count,
        "won_amount": tally.won_amount,
        "target": target,
        "won_percent": percent(tally.won_amount, target),
        "won_to_date": won_to_date,
        "target_to_date": target_to_date,
        "to_date_percent": percent(won_to_date, target_to_date),
    }


def _month_row(month: dict, tally: Tally, book: TargetBook, current: int) -> dict:
    target = book.total(month["month_key"])
    return {
        "month": month["month"],
        "month_key": month["month_key"],
        "name": month_name(month["month"]),
        "first_day": month["first"],
        "last_day": month["last"],
        "is_current": month["month_key"] == current,
        "open_count": tally.open_count,
        "open_amount": tally.open_amount,
        "weighted": tally.weighted,
        "won_count": tally.won_count,
        "won_amount": tally.won_amount,
        "target": target,
        "won_percent": percent(tally.won_amount, target),
    }


def _breakdown(tallies: dict, holders, kind: str, book: TargetBook, keys, to_date) -> list:
    """One row per owner or team: year totals and won vs target to date."""
    rows = []
    for holder in holders:
        tally = tallies.get(holder.pk, Tally())
        target, target_to_date = (
            book.over(keys, (kind, holder.pk)),
            book.over(to_date, (kind, holder.pk)),
        )
        if not (tally.open_count or tally.won_count or target):
            continue
        summary = _summary(tally, target, tally.won_through(to_date), target_to_date)
        rows.append({"id": holder.pk, "name": str(holder), **summary})
    return sorted(rows, key=lambda row: (-row["won_amount"], -row["weighted"], row["name"]))


def forecast(scope: Scope, year: int) -> dict:
    """The forecast of one Jalali year for ``scope`` (see the module's docstring)."""
    months = year_months(year)
    first, last = months[0]["first"], months[-1]["last"]
    deals = scope.deals()
    open_rows, won_rows = _open_by_month(deals, first, last), _won_by_month(deals, first, last)

    year_tally, by_month, by_owner, by_team = Tally(), {}, {}, {}
    for rows, add in ((open_rows, Tally.add_open), (won_rows, Tally.add_won)):
        for row in rows:
            add(year_tally, row)
            add(by_month.setdefault(row["month_key"], Tally()), row)
            add(by_owner.setdefault(row["owner_id"], Tally()), row)
            if row["team_id"]:
                add(by_team.setdefault(row["team_id"], Tally()), row)

    book = TargetBook(scope, [year], owners=by_owner)
    keys = [month["month_key"] for month in months]
    current = current_month_key()
    # "To date": through the current month this year, the whole year in the past, none ahead.
    to_date = [key for key in keys if key <= current]

    month_rows = [
        _month_row(month, by_month.get(month["month_key"], Tally()), book, current)
        for month in months
    ]
    owners = User.objects.filter(pk__in={*by_owner, *book.owner_ids()})
    teams = Team.objects.filter(pk__in={*by_team, *book.team_ids})
    return {
        "year": year,
        "months": month_rows,
        "total": _summary(
            year_tally, book.over(keys), year_tally.won_through(to_date), book.over(to_date)
        ),
        "through_month": month_name(to_date[-1] % 100) if to_date else None,
        "owners": _breakdown(by_owner, owners, "user", book, keys, to_date),
        "teams": _breakdown(by_team, teams, "team", book, keys, to_date),
        "no_date": _no_date(deals),
    }
