"""API shapes of pipelines, stages, lost reasons, competitors, cadences and deals.

Inputs are loose (ids and amounts in any digits, Jalali or ISO dates): the services in
``sales.deals`` and ``sales.cadences`` validate them once, for the UI and the API alike.
Money is whole Rials.
"""

import datetime as dt

from ninja import Schema
from pydantic import Field, field_validator

from peyvand.core.schemas import InputSchema, ListQuery, VersionedIn, iso_or_jalali_date

from .deals import is_rotting

_ID = "An id (digits in any script)"

# ---- settings -----------------------------------------------------------------------------


class StageIn(InputSchema):
    name: str | None = None
    probability: int | str | None = Field(None, description="Win probability, 0-100 (%)")
    rotting_days: int | str | None = Field(
        None, description="Days without activity after which a deal is flagged; empty: never"
    )
    is_active: bool | None = None
    position: int | str | None = Field(None, description="0 is the first stage")


class StageOut(Schema):
    id: int
    name: str
    position: int
    probability: int
    rotting_days: int | None
    is_active: bool


class PipelineIn(InputSchema):
    name: str | None = None
    position: int | str | None = None
    is_active: bool | None = None
    stages: list[StageIn] | None = Field(None, description="Creation only: stages in order")


class PipelinePatch(InputSchema):
    name: str | None = None
    position: int | str | None = None
    is_active: bool | None = None


class PipelineOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj):
        return obj.stages.all()


class StageDelete(Schema):
    move_to: str | None = Field(None, description="The stage its deals move to (required if any)")


class LostReasonIn(InputSchema):
    name: str | None = None
    position: int | str | None = None
    is_active: bool | None = None


class LostReasonOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool


class ActiveQuery(Schema):
    active: bool | None = Field(None, description="true: only the active ones")


class CompetitorIn(InputSchema):
    name: str | None = None
    website: str | None = None


class CompetitorOut(Schema):
    id: int
    name: str
    website: str


class CadenceStepIn(InputSchema):
    after_days: int | str | None = Field(None, description="Days after the event (0-3650)")
    subject: str | None = None
    priority: str | None = Field(None, description="low, normal, high or urgent")


class CadenceStepOut(Schema):
    after_days: int
    subject: str
    priority: str


class CadenceIn(InputSchema):
    name: str | None = None
    trigger: str | None = Field(None, description="stage_entered or order_delivered")
    stage: int | str | None = Field(None, description="The stage (stage_entered only)")
    is_active: bool | None = None
    steps: list[CadenceStepIn] | None = Field(None, description="Replaces every step")


class CadenceOut(Schema):
    id: int
    name: str
    trigger: str
    stage: int | None = Field(None, alias="stage_id")
    is_active: bool
    steps: list[CadenceStepOut]

    @staticmethod
    def resolve_steps(obj):
        return obj.steps.all()


# ---- deals --------------------------------------------------------------------------------


class DealQuery(ListQuery):
    sort: str | None = Field(
        None, description="-created (default), created, -amount, amount, -updated"
    )
    pipeline: str | None = Field(None, description=_ID)
    stage: str | None = Field(None, description=_ID)
    status: str | None = Field(None, description="open, won or lost")
    owner: str | None = Field(None, description="User id")
    team: str | None = Field(None, description="Team id")
    product: str | None = Field(None, description="Deals with this product")
    close_year: str | None = Field(None, description="Jalali year of the expected close")
    close_month: str | None = Field(None, description="Jalali month (1-12), with close_year")
    rotting: str | None = Field(None, description="true: only open deals without recent activity")


class DealProductIn(InputSchema):
    product: int | str = Field(description="An active product of the catalogue")
    quantity: str | None = Field(None, description="Default 1; decimals such as 2.5")
    unit_price: int | str | None = Field(None, description="Rials; default the product's price")


class DealIn(InputSchema):
    """A missing key leaves the value unchanged (on PATCH)."""

    title: str | None = None
    pipeline: int | str | None = Field(None, description="Default: the first active pipeline")
    stage: int | str | None = Field(None, description="Default: the pipeline's first stage")
    amount: int | str | None = Field(None, description="Rials; empty: what the products come to")
    expected_close: str | dt.date | None = Field(
        None, description="ISO (2026-05-05) or Jalali (1405/02/15)"
    )
    person: int | str | None = None
    organization: int | str | None = None
    source: str | None = None
    owner: int | str | None = Field(None, description="User id")
    team: int | str | None = Field(None, description="Team id")
    products: list[DealProductIn | int | str] | None = Field(
        None, description="Replaces the deal's products; a bare id means quantity 1"
    )
    competitors: list[int | str] | None = Field(None, description="Ids or exact names")

    @field_validator("expected_close", mode="after")
    @classmethod
    def _date(cls, value):
        return iso_or_jalali_date(value)


class DealPatch(DealIn, VersionedIn):
    pass


class DealProductOut(Schema):
    product: int = Field(alias="product_id")
    name: str
    quantity: str
    unit_price: int

    @staticmethod
    def resolve_name(obj):
        return obj.product.name

    @staticmethod
    def resolve_quantity(obj):
        return format(obj.quantity.normalize(), "f")


class DealOut(Schema):
    id: int
    title: str
    pipeline: int = Field(alias="pipeline_id")
    stage: int = Field(alias="stage_id")
    amount: int = Field(description="Rials")
    expected_close: dt.date | None
    status: str
    closed_at: dt.datetime | None
    lost_reason: int | None = Field(None, alias="lost_reason_id")
    lost_note: str
    person: int | None = Field(None, alias="person_id")
    organization: int | None = Field(None, alias="organization_id")
    source: str
    products: list[DealProductOut]
    competitors: list[int]
    is_rotting: bool = Field(description="Open, and no activity for longer than its stage allows")
    stage_entered_at: dt.datetime
    last_activity_at: dt.datetime
    owner: int = Field(alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_products(obj):
        return obj.product_lines.all()

    @staticmethod
    def resolve_competitors(obj):
        return [c.pk for c in obj.competitors.all()]

    @staticmethod
    def resolve_is_rotting(obj):
        return is_rotting(obj)


class MoveIn(VersionedIn):
    stage: int | str = Field(description="A stage of the deal's pipeline")
    before: int | str | None = Field(None, description="Place the deal just before this deal")
    after: int | str | None = Field(None, description="…or just after this one; default: top")


class LoseIn(VersionedIn):
    reason: int | str | None = Field(None, description="An active lost reason (required)")
    note: str | None = None


class StageChangeOut(Schema):
    from_stage: int | None
    from_stage_name: str | None
    to_stage: int | None
    to_stage_name: str | None = Field(description="Empty when the stage was deleted since")
    status: str = Field(description="The deal's status after the change")
    at: dt.datetime
    by: int | None
    seconds: int | None = Field(description="Time until the next change (or now); None once closed")
    ongoing: bool
