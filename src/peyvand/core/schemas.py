"""API shapes every app shares: pages, list queries, record ids, loose dates, versions.

Input schemas are deliberately loose (strings in any digits, Jalali or ISO dates):
they document the body in OpenAPI and catch wrong JSON types, while the services do
the real validation once, for the UI and the API alike.
"""

import datetime as dt
import re
from typing import Annotated, Generic, TypeVar

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, field_validator

from peyvand.core.persian import to_ascii_digits

T = TypeVar("T")

# ISO dates start with a Gregorian year; Jalali years are 1300-1500, so "1370-05-12"
# stays Jalali while "1991-08-03" is read as ISO.
_ISO_DATE = re.compile(r"^(1[6-9]|[2-9]\d)\d\d-\d\d-\d\d")


def iso_or_jalali_date(value):
    """An ISO ``YYYY-MM-DD`` string becomes a date; anything else passes to the service."""
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        day = parse_date(value.strip()[:10]) if len(value.strip()) == 10 else None
        if day is None:
            raise ValueError(_("Enter a date as YYYY-MM-DD or a Jalali date such as 1403/05/12."))
        return day
    return value


def iso_or_jalali_datetime(value):
    """An ISO 8601 datetime becomes an aware datetime; a Jalali string passes through."""
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            moment = None
        if moment is None:
            day = parse_date(value.strip()) if len(value.strip()) == 10 else None
            if day is None:
                raise ValueError(_("Enter an ISO 8601 date and time or a Jalali one."))
            moment = dt.datetime.combine(day, dt.time())
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    return value


def _ascii_id(value):
    return to_ascii_digits(value).strip() if isinstance(value, str) else value


# A record id in a path; ``۱۲`` is read as 12, and ids past 64 bits simply match nothing.
RecordId = Annotated[int, BeforeValidator(_ascii_id), Field(ge=1, le=2**63 - 1)]


class InputSchema(Schema):
    # Numbers where text is expected (a phone as 9121234567) are read as text.
    model_config = ConfigDict(coerce_numbers_to_str=True)


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")


class CountedPage(Page[T], Generic[T]):
    count: int = Field(
        description="How many records match the filters, counted no further than the "
        "server's exact-count limit (10,000 by default)."
    )
    count_is_exact: bool = Field(
        description="False when more than `count` records match: past the limit the "
        "server stops counting, so a list over a million rows stays fast."
    )


class ListQuery(Schema):
    """Query parameters every list takes; filters are read by the selector."""

    q: str | None = Field(None, description="Search words, a phone in any format, e-mail or ID.")
    limit: str | None = Field(None, description="Page size (default 25, at most 200).")
    cursor: str | None = None
    sort: str | None = None

    @field_validator("limit")
    @classmethod
    def _limit(cls, value):
        if value in (None, ""):
            return None
        digits = to_ascii_digits(value).strip()
        if not digits.isdigit() or int(digits) < 1:
            raise ValueError(_("Enter a whole number from 1 up."))
        return str(min(int(digits), settings.PEYVAND["API_MAX_LIMIT"]))

    @property
    def page_size(self) -> int:
        return int(self.limit or settings.PEYVAND["PAGE_SIZE"])


class VersionedIn(Schema):
    version: int | None = Field(
        None, description="The version you edited; a newer one answers 409 Conflict."
    )
