"""API shapes of notes, calls, meetings and follow-ups."""

import datetime as dt

from ninja import Schema
from pydantic import Field, field_validator

from peyvand.core.schemas import InputSchema, ListQuery, VersionedIn, iso_or_jalali_datetime

_WHEN = "ISO 8601 (2025-01-31T14:30:00+03:30) or Jalali (1403/11/12 14:30)"


class ActivityQuery(ListQuery):
    q: str | None = Field(None, description="Words in the subject")
    sort: str | None = Field(None, description="-occurred (default) or occurred")
    person: str | None = Field(None, description="Person id")
    organization: str | None = Field(None, description="Organization id")
    kind: str | None = Field(None, description="note, call, meeting or task")
    open: str | None = Field(None, description="true: follow-ups not done yet; false: the rest")
    assignee: str | None = Field(None, description="User id")
    deal: str | None = Field(None, description="Deal id")


class ActivityIn(InputSchema):
    """A missing key leaves the value unchanged; kind, person, organization and deal are set
    once."""

    kind: str | None = Field(None, description="note, call, meeting or task")
    subject: str | None = None
    body: str | None = None
    person: int | str | None = Field(None, description="Person id")
    organization: int | str | None = Field(None, description="Organization id")
    deal: int | str | None = Field(
        None, description="Deal id; without a person or organization, the deal's customer"
    )
    occurred_at: str | dt.datetime | None = Field(None, description=_WHEN)
    ends_at: str | dt.datetime | None = Field(None, description=_WHEN)
    due_at: str | dt.datetime | None = Field(None, description=_WHEN)
    direction: str | None = Field(None, description="inbound or outbound (calls)")
    duration_seconds: int | str | None = None
    outcome: str | None = Field(
        None, description="answered, no_answer, busy, voicemail or wrong_number"
    )
    location: str | None = None
    assignee: int | str | None = Field(None, description="User id (follow-ups)")
    priority: str | None = Field(None, description="low, normal, high or urgent")
    done: bool | None = None

    @field_validator("occurred_at", "ends_at", "due_at", mode="after")
    @classmethod
    def _moment(cls, value):
        return iso_or_jalali_datetime(value)


class ActivityPatch(ActivityIn, VersionedIn):
    pass


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    person: int | None = Field(None, alias="person_id")
    organization: int | None = Field(None, alias="organization_id")
    deal: int | None = Field(None, alias="deal_id")
    occurred_at: dt.datetime
    ends_at: dt.datetime | None
    direction: str
    duration_seconds: int | None
    outcome: str
    location: str
    due_at: dt.datetime | None
    assignee: int | None = Field(None, alias="assignee_id")
    priority: str
    done: bool
    done_at: dt.datetime | None
    owner: int = Field(alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_done(obj):
        return obj.done_at is not None
