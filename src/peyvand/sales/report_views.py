"""Pages of the forecast, the sales KPIs and the monthly targets grid.

Thin: read the filters, call ``forecast`` / ``kpis`` / ``targets``, render. Amounts are
shown and typed in the display unit (Toman by default); dates in Jalali.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role
from peyvand.core import money

from . import kpis, targets
from .forecast import MONTH_NAMES, forecast
from .models import Pipeline
from .report_scope import Scope, clean_scope


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _filter_options(user) -> dict:
    return {
        "pipelines": Pipeline.objects.filter(is_active=True),
        "owners": targets.readable_users(user).filter(is_active=True),
        "teams": targets.readable_teams(user),
    }


def _scope_or_errors(request) -> tuple[Scope, dict]:
    """The filters of the query string; on a bad one, the unfiltered scope and the errors."""
    try:
        return clean_scope(request.user, request.GET), {}
    except ValidationError as exc:
        return Scope(user=request.user), _errors(exc)


@login_required
def forecast_page(request):
    scope, errors = _scope_or_errors(request)
    try:
        year = targets.clean_year(request.GET.get("year"))
    except ValidationError as exc:
        year, errors = targets.current_jalali_year(), {**errors, **_errors(exc)}
    result = forecast(scope, year)
    amounts = [
        value
        for month in result["months"]
        for value in (month["open_amount"], month["won_amount"], month["target"] or 0)
    ]
    context = {
        **_filter_options(request.user),
        "result": result,
        "year": year,
        "years": range(year - 2, year + 3),
        "scale": max(amounts, default=0) or 1,
        "params": request.GET,
        "filter_errors": errors,
        "kpis_query": urlencode(scope.as_params()),
    }
    return render(request, "sales/reports/forecast.html", context, status=422 if errors else 200)


@login_required
def kpis_page(request):
    scope, errors = _scope_or_errors(request)
    try:
        start, end = kpis.clean_period(request.GET.get("from"), request.GET.get("to"))
    except ValidationError as exc:
        start, end = kpis.default_period()
        errors = {**errors, **_errors(exc)}
    context = {
        **_filter_options(request.user),
        "result": kpis.sales_kpis(scope, start, end),
        "params": request.GET,
        "filter_errors": errors,
    }
    return render(request, "sales/reports/kpis.html", context, status=422 if errors else 200)


# ---- the targets grid -----------------------------------------------------------------------


def _grid_rows(user, may_edit: bool) -> list[dict]:
    """Teams first, then people: those the user may set, or else those they may read."""
    teams = targets.settable_teams(user) if may_edit else targets.readable_teams(user)
    people = targets.settable_users(user) if may_edit else targets.readable_users(user)
    people = people.filter(is_active=True).exclude(role=Role.VIEWER)
    return [{"kind": "team", "holder": team, "prefix": f"t{team.pk}"} for team in teams] + [
        {"kind": "user", "holder": person, "prefix": f"u{person.pk}"} for person in people
    ]


def _shown(amount: int | None) -> str:
    """A stored amount as the grid's input shows it: in the display unit, grouped."""
    if amount is None:
        return ""
    return f"{amount // 10 if money.display_unit() == 'toman' else amount:,}"


def _cells(rows: list[dict], post) -> list[dict]:
    """The grid's inputs sent with the form, as ``targets.save_year`` reads them."""
    cells = []
    for row in rows:
        for month in range(1, 13):
            key = f"{row['prefix']}_{month}"
            if key in post:
                cells.append(
                    {
                        "key": key,
                        row["kind"]: row["holder"].pk,
                        "month": month,
                        "amount": post[key],
                    }
                )
    return cells


def _row_cells(row: dict, year: int, stored: dict, typed: dict, errors: dict) -> list[dict]:
    """The twelve inputs of a grid row: what the user typed (after an error) or what is
    stored, with each cell's errors."""
    cells = []
    for month in range(1, 13):
        key = f"{row['prefix']}_{month}"
        saved = stored.get((row["kind"], row["holder"].pk, year * 100 + month))
        value = typed[key] if key in typed else _shown(saved)
        cells.append({"key": key, "month": month, "value": value, "errors": errors.get(key, [])})
    return cells


@login_required
def targets_page(request):
    may_edit = targets.can_set_targets(request.user)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied(_("Only a manager or an administrator may set sales targets."))
    errors: dict = {}
    try:
        year = targets.clean_year(request.POST.get("year") or request.GET.get("year"))
    except ValidationError as exc:
        year, errors = targets.current_jalali_year(), _errors(exc)
    rows = _grid_rows(request.user, may_edit)
    typed: dict = {}
    if request.method == "POST" and not errors:
        cells = _cells(rows, request.POST)
        try:
            changed = targets.save_year(request.user, year, cells, unit=money.display_unit())
        except ValidationError as exc:
            errors, typed = _errors(exc), {cell["key"]: cell["amount"] for cell in cells}
        else:
            messages.success(request, _("Targets saved (%(count)d changed).") % {"count": changed})
            return redirect(f"{reverse('sales:targets')}?{urlencode({'year': year})}")
    stored = targets.amounts(
        [year],
        users=[row["holder"].pk for row in rows if row["kind"] == "user"],
        teams=[row["holder"].pk for row in rows if row["kind"] == "team"],
    )
    for row in rows:
        row["cells"] = _row_cells(row, year, stored, typed, errors)
    context = {
        "rows": rows,
        "year": year,
        "years": range(year - 2, year + 3),
        "months": [str(name) for name in MONTH_NAMES],
        "may_edit": may_edit,
        "unit_label": _("Toman") if money.display_unit() == "toman" else _("Rial"),
        "errors": errors,
    }
    return render(request, "sales/reports/targets.html", context, status=422 if errors else 200)
