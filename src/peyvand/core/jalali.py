"""Jalali (Solar Hijri) presentation and input. Storage is always Gregorian."""

import datetime as dt
import re

import jdatetime
from django.utils import timezone
from django.utils.translation import gettext as _

from .persian import to_ascii_digits

_DATE = re.compile(r"^\s*(\d{4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*$")
_DATETIME = re.compile(r"^(?P<date>[^\sT]+)(?:[\sT]+(?P<h>\d{1,2}):(?P<m>\d{2})(?::\d{2})?)?\s*$")


class JalaliInputError(ValueError):
    """A Jalali date string that cannot be read; the message is for the user."""


def parse_date(text: str) -> dt.date:
    """Read a Jalali date typed as ``1403/05/12`` (any digits, ``/``, ``-`` or ``.``)."""
    match = _DATE.match(to_ascii_digits(text or ""))
    if not match:
        raise JalaliInputError(_("Enter a Jalali date such as 1403/05/12."))
    year, month, day = (int(part) for part in match.groups())
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError as exc:
        raise JalaliInputError(_("This Jalali date does not exist.")) from exc


def parse_datetime(text: str) -> dt.datetime:
    """Read ``1403/05/12 14:30`` as an aware datetime in the current time zone."""
    match = _DATETIME.match(to_ascii_digits(text or "").strip())
    if not match:
        raise JalaliInputError(_("Enter a Jalali date and time such as 1403/05/12 14:30."))
    day = parse_date(match["date"])
    hour, minute = int(match["h"] or 0), int(match["m"] or 0)
    if hour > 23 or minute > 59:
        raise JalaliInputError(_("Enter a time between 00:00 and 23:59."))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def format_date(value: dt.date | dt.datetime | None) -> str:
    """``1403/05/12`` for a date, or for an aware datetime in the current time zone."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d")


def format_datetime(value: dt.datetime | None) -> str:
    """``1403/05/12 14:30`` in the current time zone."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_date(local)} {local:%H:%M}"
