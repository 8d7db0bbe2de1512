"""API shapes of people, organisations, tags and custom fields.

Input schemas are deliberately loose (strings in any digits, Jalali or ISO dates,
bare strings for contact points): they document the body in OpenAPI and catch wrong
JSON types, while the services do the real validation once, for the UI and the API
alike, and report errors keyed by field path.
"""

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, Field, field_validator

from peyvand.core.schemas import InputSchema, ListQuery, VersionedIn, iso_or_jalali_date


def _wrap(key: str):
    """Let a list item be a bare string: ``"0912…"`` means ``{"number": "0912…"}``."""
    return BeforeValidator(lambda v: {key: v} if isinstance(v, str | int) else v)


class CustomerQuery(ListQuery):
    """List filters of people and organisations; ``cf_<key>=value`` filters a custom field."""

    sort: str | None = Field(None, description="name, -name, created, -created or -updated")
    tag: str | None = None
    owner: str | None = None
    stage: str | None = None
    province: str | None = None
    city: str | None = None


# ---- contact points ---------------------------------------------------------------------


class PhoneIn(InputSchema):
    number: str = Field(description="Any format: 0912 123 4567, ۰۹۱۲۱۲۳۴۵۶۷, +98 912…")
    kind: str | None = Field(None, description="mobile, work, home, fax or other")


class PhoneOut(Schema):
    number: str = Field(description="E.164")
    kind: str


class EmailIn(InputSchema):
    address: str
    kind: str | None = Field(None, description="work, personal or other")


class EmailOut(Schema):
    address: str
    kind: str


class AddressIn(InputSchema):
    province: int | str | None = Field(None, description="Province id")
    city: int | str | None = Field(None, description="City id")
    line: str | None = None
    postal_code: str | None = None
    kind: str | None = Field(None, description="home, work, billing or shipping")


class AddressOut(Schema):
    kind: str
    province: int | None = Field(None, alias="province_id")
    province_name: str | None = None
    city: int | None = Field(None, alias="city_id")
    city_name: str | None = None
    line: str
    postal_code: str

    @staticmethod
    def resolve_province_name(obj):
        return obj.province.name if obj.province_id else None

    @staticmethod
    def resolve_city_name(obj):
        return obj.city.name if obj.city_id else None


class SocialHandleIn(InputSchema):
    network: str | None = Field(None, description="telegram, instagram, whatsapp, bale or eitaa")
    handle: str | None = None


class SocialHandleOut(Schema):
    network: str
    handle: str


class ConsentIn(InputSchema):
    channel: str | None = Field(None, description="email, sms, call or messenger")
    granted: Any = Field(None, description="true or false")
    source: str | None = None


class ConsentOut(Schema):
    channel: str
    granted: bool
    source: str
    recorded_at: dt.datetime


class MembershipIn(InputSchema):
    organization: int | str | None = Field(None, description="Organization id")
    job_title: str | None = None


class MembershipOut(Schema):
    organization: int = Field(alias="organization_id")
    job_title: str


class TagRef(Schema):
    id: int
    name: str


# ---- people and organisations -----------------------------------------------------------


class CustomerIn(InputSchema):
    """What people and organisations share. A missing key leaves the value unchanged."""

    phones: list[Annotated[PhoneIn, _wrap("number")]] | None = None
    emails: list[Annotated[EmailIn, _wrap("address")]] | None = None
    addresses: list[AddressIn] | None = None
    social_handles: list[SocialHandleIn] | None = None
    tags: list[int | str] | None = Field(None, description="Tag ids or names")
    owner: int | str | None = Field(None, description="User id")
    team: int | str | None = Field(None, description="Team id")
    lifecycle_stage: str | None = Field(
        None, description="subscriber, lead, opportunity, customer, loyal or churned"
    )
    source: str | None = None
    description: str | None = None
    custom: dict[str, Any] | None = Field(None, description="Custom field key → value")


class PersonIn(CustomerIn):
    first_name: str | None = None
    last_name: str | None = None
    national_id: str | None = Field(None, description="کد ملی, 10 digits, any digits")
    birthday: str | dt.date | None = Field(None, description="ISO 2000-01-31 or Jalali 1378/11/11")
    gender: str | None = Field(None, description="female, male or unspecified")
    preferred_channel: str | None = Field(None, description="phone, sms, email or messenger")
    consents: list[ConsentIn] | None = None
    organizations: list[Annotated[MembershipIn, _wrap("organization")]] | None = None

    @field_validator("birthday", mode="after")
    @classmethod
    def _birthday(cls, value):
        return iso_or_jalali_date(value)


class PersonPatch(PersonIn, VersionedIn):
    pass


class OrganizationIn(CustomerIn):
    name: str | None = None
    national_id: str | None = Field(None, description="شناسه ملی, 11 digits")
    economic_code: str | None = None
    industry: str | None = None
    size: str | None = Field(None, description="1-10, 11-50, 51-200, 201-1000 or 1000+")
    website: str | None = None


class OrganizationPatch(OrganizationIn, VersionedIn):
    pass


class CustomerOut(Schema):
    id: int
    phones: list[PhoneOut]
    emails: list[EmailOut]
    addresses: list[AddressOut]
    social_handles: list[SocialHandleOut]
    tags: list[TagRef]
    owner: int = Field(alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    lifecycle_stage: str
    source: str
    description: str
    custom: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class PersonOut(CustomerOut):
    first_name: str
    last_name: str
    national_id: str
    birthday: dt.date | None = Field(None, description="Gregorian (ISO)")
    gender: str
    preferred_channel: str
    consents: list[ConsentOut]
    organizations: list[MembershipOut]

    @staticmethod
    def resolve_organizations(obj):
        return obj.memberships.all()


class OrganizationOut(CustomerOut):
    name: str
    national_id: str
    economic_code: str
    industry: str
    size: str
    website: str


# ---- tags and custom fields -------------------------------------------------------------


class TagIn(InputSchema):
    name: str | None = None
    color: str | None = Field(None, description="#rrggbb")


class TagOut(Schema):
    id: int
    name: str
    color: str


class CustomFieldIn(InputSchema):
    entity: str | None = Field(None, description="person or organization; fixed once created")
    key: str | None = Field(None, description="a-z, 0-9 and _; fixed once created")
    label: str | None = None
    field_type: str | None = Field(
        None, description="text, number, date, choice, multichoice or boolean; fixed once created"
    )
    choices: list[str] | None = None
    required: bool | None = None
    position: int | str | None = None
    is_active: bool | None = None


class CustomFieldOut(Schema):
    id: int
    entity: str
    key: str
    label: str
    field_type: str
    choices: list[str]
    required: bool
    position: int
    is_active: bool


# ---- duplicates and merges --------------------------------------------------------------


class DuplicateCheck(Schema):
    allow_duplicate: bool = Field(
        False,
        description="Save even when likely duplicates exist; otherwise 409 "
        "`possible_duplicate` lists them as `candidates`.",
    )


class NoOptions(Schema):
    """Write options of a record kind that has none."""


class PersonBrief(Schema):
    id: int
    name: str = Field(alias="full_name")
    phones: list[str]
    emails: list[str]

    @staticmethod
    def resolve_phones(obj):
        return [p.number for p in obj.phones.all()]

    @staticmethod
    def resolve_emails(obj):
        return [e.address for e in obj.emails.all()]


class DuplicatePairOut(Schema):
    id: int
    person_a: PersonBrief
    person_b: PersonBrief
    score: float
    reasons: list[str] = Field(
        description="Evidence: name, phone, similar_phone, email, similar_email, "
        "national_id, birthday, address."
    )
    status: str = Field(description="open, dismissed or merged")
    found_at: dt.datetime


class DuplicateScanOut(Schema):
    id: int
    status: str = Field(description="queued, running, done or failed")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    stats: dict[str, Any]


class MergeIn(InputSchema):
    other: Annotated[int, Field(ge=1, le=2**63 - 1)] = Field(
        description="The person merged into this one (goes to the trash)."
    )
    choices: dict[str, str] | None = Field(
        None,
        description='Field → "survivor" or "other", e.g. {"first_name": "other", '
        '"custom.level": "survivor"}. Fields left out keep the survivor\'s value '
        "unless it is empty.",
    )
    versions: dict[str, int] | None = Field(
        None,
        description='{"survivor": 3, "other": 2}: the versions compared; a newer one answers 409.',
    )


class MergeOut(Schema):
    id: int
    survivor: int = Field(alias="survivor_id")
    merged: int = Field(alias="merged_id")
    at: dt.datetime
    choices: dict[str, str]
    moved: list[dict[str, Any]] = Field(description="Rows moved: model, field and ids.")
    skipped: list[dict[str, Any]] = Field(
        description="Rows the survivor already had, left with the merged person."
    )
    undone_at: dt.datetime | None
