"""API shapes of users, teams and API tokens."""

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from peyvand.core.schemas import InputSchema

Language = Literal["fa", "en"]


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    teams: list[int]
    language: str
    is_active: bool
    date_joined: dt.datetime

    @staticmethod
    def resolve_teams(obj):
        return [team.pk for team in obj.teams.all()]


class UserIn(InputSchema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=4096)
    full_name: str = ""
    role: str = Field("agent", description="admin, manager, agent or viewer")
    teams: list[int] = Field(default_factory=list, description="Team ids")
    language: Language = "fa"


class UserPatch(InputSchema):
    full_name: str | None = None
    role: str | None = None
    teams: list[int] | None = None
    is_active: bool | None = None
    language: Language | None = None


class MePatch(InputSchema):
    language: Language


class TeamIn(InputSchema):
    name: str


class TeamOut(Schema):
    id: int
    name: str
    created_at: dt.datetime


class TokenIn(InputSchema):
    name: str = ""


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class NewTokenOut(TokenOut):
    key: str = Field(description="The token itself. It is shown only this once.")
