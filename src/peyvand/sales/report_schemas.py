"""API shapes of sales targets, the forecast and the sales KPIs.

Inputs are loose (ids and years in any digits, ISO or Jalali dates); the services validate.
Money is whole Rials; a rate or mean that has no data is null, never 0.
"""

import datetime as dt

from ninja import Schema
from pydantic import Field

from peyvand.core.schemas import InputSchema


class ScopeQuery(Schema):
    pipeline: str | None = Field(None, description="Pipeline id")
    owner: str | None = Field(None, description="Owner (user) id")
    team: str | None = Field(None, description="Team id")


class ForecastQuery(ScopeQuery):
    year: str | None = Field(None, description="Jalali year, e.g. 1405 (default: this year)")


class KpiQuery(ScopeQuery):
    from_: str | None = Field(
        None, alias="from", description="First day, ISO or Jalali (default: 1 Farvardin)"
    )
    to: str | None = Field(None, description="Last day, ISO or Jalali (default: end of Esfand)")


class TargetQuery(Schema):
    year: str | None = Field(None, description="Jalali year")
    user: str | None = Field(None, description="Only this owner's targets")
    team: str | None = Field(None, description="Only this team's targets")


class TargetIn(InputSchema):
    year: str = Field(description="Jalali year, e.g. 1405")
    month: str = Field(description="Jalali month, 1-12")
    user: str | None = Field(None, description="The owner's id (or give team)")
    team: str | None = Field(None, description="The team's id (or give user)")
    amount: str = Field(description="Whole Rials, any digits")


class TargetOut(Schema):
    id: int
    year: int
    month: int
    user: int | None = Field(None, alias="user_id")
    team: int | None = Field(None, alias="team_id")
    holder: str
    amount: int = Field(description="Rials")
    set_by: int | None = Field(None, alias="set_by_id")
    updated_at: dt.datetime

    @staticmethod
    def resolve_holder(obj) -> str:
        return str(obj.user or obj.team)


class Summary(Schema):
    open_count: int
    open_amount: int
    weighted: int = Field(description="Σ amount × stage probability, Rials")
    won_count: int
    won_amount: int
    target: int | None = Field(description="null: no target set")
    won_percent: float | None
    won_to_date: int
    target_to_date: int | None
    to_date_percent: float | None


class Breakdown(Summary):
    id: int
    name: str


class ForecastMonth(Schema):
    month: int
    month_key: int = Field(description="Jalali year × 100 + month")
    name: str
    first_day: dt.date
    last_day: dt.date
    is_current: bool
    open_count: int
    open_amount: int
    weighted: int
    won_count: int
    won_amount: int
    target: int | None
    won_percent: float | None


class UndatedDeal(Schema):
    id: int
    title: str
    amount: int
    stage: str
    owner: str

    @staticmethod
    def resolve_stage(obj) -> str:
        return str(obj.stage)

    @staticmethod
    def resolve_owner(obj) -> str:
        return str(obj.owner)


class NoDate(Schema):
    count: int
    amount: int
    weighted: int
    deals: list[UndatedDeal] = Field(description="The largest, at most 20")


class ForecastOut(Schema):
    year: int
    months: list[ForecastMonth]
    total: Summary
    through_month: str | None = Field(description="The last month counted in *_to_date")
    owners: list[Breakdown]
    teams: list[Breakdown]
    no_date: NoDate


class Rate(Schema):
    n: int = Field(description="Deals behind the figure")
    successes: int
    percent: float | None = Field(description="null when n = 0")
    ci_low: float | None = Field(description="95% Wilson interval, percent")
    ci_high: float | None


class DealSize(Schema):
    n: int
    mean: int | None = Field(description="Rials")
    ci_low: int | None = Field(description="95% t-interval; null when n < 2")
    ci_high: int | None
    total: int


class Cycle(Schema):
    n: int
    median: float | None = Field(description="Days from creation to winning")
    mean: float | None
    ci_low: float | None
    ci_high: float | None


class StageRate(Rate):
    stage_id: int
    stage: str
    probability: int


class PipelineConversion(Schema):
    pipeline_id: int
    pipeline: str
    stages: list[StageRate]


class OpenPipeline(Schema):
    n: int
    amount: int
    weighted: int


class Coverage(Schema):
    n: int = Field(description="Open deals expected to close in the period")
    weighted: int
    target: int | None
    won: int
    remaining: int | None
    ratio: float | None = Field(description="weighted ÷ remaining target")
    state: str = Field(description="ok, no_target, met or no_data")


class PipelineFigures(Schema):
    open: OpenPipeline
    coverage: Coverage


class LostReasonShare(Schema):
    id: int
    name: str
    count: int
    percent: float | None


class LostReasons(Schema):
    n: int
    reasons: list[LostReasonShare]


class KpiOut(Schema):
    start: dt.date = Field(description="The period's first day (ISO)")
    end: dt.date = Field(description="The period's last day (ISO)")
    win_rate: Rate
    deal_size: DealSize
    cycle_days: Cycle
    stage_conversion: list[PipelineConversion]
    pipeline: PipelineFigures
    lost_reasons: LostReasons
