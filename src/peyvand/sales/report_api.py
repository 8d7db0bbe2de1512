"""API of sales targets, the forecast and the sales KPIs.

Every figure is computed from the deals the caller may see; targets are read by the people
they concern and set by managers (see ``sales.targets``).
"""

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from peyvand.core.schemas import RecordId

from . import kpis, targets
from .forecast import forecast
from .report_schemas import (
    ForecastOut,
    ForecastQuery,
    KpiOut,
    KpiQuery,
    TargetIn,
    TargetOut,
    TargetQuery,
)
from .report_scope import clean_scope

router = Router(tags=["forecast"])


@router.get("/forecast", response=ForecastOut)
def get_forecast(request, params: Query[ForecastQuery]):
    """By Jalali month: open pipeline, weighted pipeline, won and target; per owner and team;
    open deals without an expected close date apart."""
    scope = clean_scope(request.auth, params.dict())
    return forecast(scope, targets.clean_year(params.year))


@router.get("/sales-kpis", response=KpiOut)
def get_sales_kpis(request, params: Query[KpiQuery]):
    """Win rate, deal size, cycle length, stage conversion, pipeline coverage and lost
    reasons of a period; each with its n and, for estimates, a 95% confidence interval."""
    scope = clean_scope(request.auth, params.dict())
    start, end = kpis.clean_period(params.from_, params.to)
    return kpis.sales_kpis(scope, start, end)


@router.get("/targets", response=list[TargetOut], tags=["targets"])
def list_targets(request, params: Query[TargetQuery]):
    """The targets you may read (yours, your teams' and your team mates'), by month."""
    filters = targets.clean_target_filters(params.dict())
    return targets.visible_targets(request.auth).filter(**filters)


@router.put("/targets", response={200: TargetOut, 201: TargetOut}, tags=["targets"])
def put_target(request, payload: TargetIn):
    """Set the target of one owner or one team for one Jalali month (replacing any)."""
    target, created = targets.set_target(request.auth, payload.dict())
    return Status(201 if created else 200, target)


@router.delete("/targets/{id}", response={204: None}, tags=["targets"])
def delete_target(request, id: RecordId):
    target = get_object_or_404(targets.visible_targets(request.auth), pk=id)
    targets.delete_target(request.auth, target)
    return Status(204, None)
