"""API shapes of leads, their conversion and the predictive score model.

Input is deliberately loose (text in any digits, ids as numbers or strings): the lead
services validate once, for the UI and the API alike, and report errors by field.
"""

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from peyvand.core.schemas import InputSchema, ListQuery, VersionedIn


class LeadQuery(ListQuery):
    sort: str | None = Field(None, description="-created (default), created, -score or -updated")
    status: str | None = Field(
        None, description="new, contacted, qualified, converted or disqualified"
    )
    owner: str | None = Field(None, description="User id")
    source: str | None = None
    campaign: str | None = Field(None, description="utm_campaign, exactly")


class LeadIn(InputSchema):
    """A missing key leaves the value unchanged. A new lead without an owner goes to the
    first matching assignment rule (else to the caller)."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    job_title: str | None = None
    phone: str | None = Field(None, description="Any format: 0912 123 4567, ۰۹۱۲۱۲۳۴۵۶۷, +98…")
    email: str | None = None
    national_id: str | None = Field(None, description="کد ملی, 10 digits, any digits")
    province: int | str | None = Field(None, description="Province id")
    message: str | None = None
    product_interest: int | str | None = Field(None, description="Active product id")
    status: str | None = Field(None, description="new, contacted or qualified")
    source: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    referrer: str | None = None
    landing_page: str | None = None
    owner: int | str | None = Field(None, description="User id")
    team: int | str | None = Field(None, description="Team id")


class LeadPatch(LeadIn, VersionedIn):
    pass


class ScoreFactor(Schema):
    label: str
    points: int


class PredictedFactor(Schema):
    feature: str = Field(description="e.g. source=website, has_email, rule_score")
    label: str
    weight: float = Field(description="Its push on the log-odds: weight × value")


class LeadOut(Schema):
    id: int
    first_name: str
    last_name: str
    company: str
    job_title: str
    phone: str = Field(description="E.164")
    email: str
    national_id: str
    province: int | None = Field(None, alias="province_id")
    message: str
    product_interest: int | None = Field(None, alias="product_interest_id")
    status: str
    disqualify_reason: str
    source: str
    web_form: int | None = Field(None, alias="web_form_id")
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_term: str
    utm_content: str
    referrer: str
    landing_page: str
    score: int
    score_factors: list[ScoreFactor]
    predicted_score: float | None = Field(
        None, description="Chance (0..1) of a won deal; null while no usable model exists"
    )
    predicted_factors: list[PredictedFactor] = Field(alias="predicted_reasons")
    owner: int = Field(alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    person: int | None = Field(None, alias="person_id")
    organization: int | None = Field(None, alias="organization_id")
    deal: int | None = Field(None, alias="deal_id")
    converted_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class DealDraft(InputSchema):
    title: str | None = Field(None, description="Default: the company, else the lead's name")
    amount: int | str | None = Field(
        None, description="Rials; default: the product of interest's price"
    )
    pipeline: int | str | None = Field(None, description="Default: the first active pipeline")
    stage: int | str | None = Field(None, description="Default: the pipeline's first stage")
    expected_close: str | None = Field(None, description="ISO or Jalali date")


class ConvertIn(VersionedIn):
    create_deal: bool = True
    deal: DealDraft | None = None


class ConvertOut(Schema):
    lead: LeadOut
    person: int
    organization: int | None
    deal: int | None


class DisqualifyIn(InputSchema, VersionedIn):
    reason: str | None = None


class ScoreModelOut(Schema):
    id: int | None = None
    trained_at: dt.datetime | None = None
    samples: int = 0
    won: int = 0
    lost: int = 0
    auc: float | None = Field(None, description="On the held-out quarter of the history")
    holdout_size: int = 0
    is_usable: bool = False
    note: str = Field(description="What the model can do, in the caller's language")
    weights: dict[str, Any] = {}
