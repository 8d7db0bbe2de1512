"""Collecting field errors from service input, so one bad request reports every bad field.

Services receive plain dicts (from a form or an API body), normalise each value and
raise one ``ValidationError`` keyed by field path (``phones.0.number``), with messages
in the active language.
"""

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from . import jalali
from .persian import clean_text, to_ascii_digits


class FieldErrors:
    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(str(message))

    def check(self, field: str, func: Callable[[], Any], default=None):
        """Run ``func``; on a ValidationError record its messages under ``field``."""
        try:
            return func()
        except ValidationError as exc:
            for message in exc.messages:
                self.add(field, message)
            return default

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def text(value, *, max_length: int | None = None, required: bool = False) -> str:
    """A cleaned string; too long or missing raises a ValidationError for the user."""
    if value is not None and not isinstance(value, str | int | float):
        raise ValidationError(_("Enter text."))
    result = clean_text(None if value is None else str(value))
    limit = max_length or settings.PEYVAND["MAX_TEXT_LENGTH"]
    if len(result) > limit:
        raise ValidationError(
            _("At most %(limit)d characters (this has %(length)d).")
            % {"limit": limit, "length": len(result)}
        )
    if required and not result:
        raise ValidationError(_("This field is required."))
    return result


def email(value, *, required: bool = False) -> str:
    """A lower-cased e-mail address, or "" when empty and not required."""
    address = text(value, max_length=254, required=required).lower()
    if address:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(_("Enter a valid e-mail address.")) from None
    return address


def choice(value, choices, *, required: bool = False) -> str:
    value = "" if value is None else str(value)
    if not value and not required:
        return ""
    if value not in choices:
        raise ValidationError(_("Choose one of the listed options."))
    return value


def as_list(value, field: str, errors: FieldErrors, *, limit: int = 50) -> list:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        errors.add(field, _("Expected a list."))
        return []
    if len(value) > limit:
        errors.add(field, _("At most %(limit)d items.") % {"limit": limit})
        return []
    return list(value)


# The largest amount any money field takes: 10^15 Rials, far above any real invoice and
# far below what a 64-bit integer holds after multiplying by a quantity.
MAX_RIALS = 10**15
_GROUPING = re.compile(r"[,\u066c\u060c\s_']")  # , ٬ ، spaces, _ and ' between thousands


def rials(value, *, required: bool = False, unit: str = "rial", allow_zero: bool = True):
    """A whole, non-negative number of Rials from an int or text in any digits
    (``۱۲٬۵۰۰٬۰۰۰``). ``unit="toman"`` reads the number as Toman (× 10)."""
    if value is None or value == "":
        if required:
            raise ValidationError(_("This field is required."))
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(_("Enter a whole number of Rials."))
    raw = _GROUPING.sub("", to_ascii_digits(str(value)))
    if not raw.isdigit():
        if raw.startswith("-") and raw[1:].isdigit():
            raise ValidationError(_("An amount cannot be negative."))
        raise ValidationError(_("Enter a whole number, without decimals or letters."))
    amount = int(raw) * (10 if unit == "toman" else 1)
    if amount > MAX_RIALS:
        raise ValidationError(_("This amount is too large."))
    if amount == 0 and not allow_zero:
        raise ValidationError(_("The amount must be more than zero."))
    return amount


def quantity(value, *, places: int = 3, maximum: int = 10**9) -> Decimal:
    """A positive decimal quantity (``2.5``, ``۲٫۵``) with at most ``places`` decimals."""
    raw = to_ascii_digits(str(value if value is not None else "")).strip()
    raw = raw.replace("\u066b", ".").replace("/", ".")  # Persian decimal separator ٫
    try:
        number = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number such as 2 or 2.5.")) from None
    if not number.is_finite() or number <= 0:
        raise ValidationError(_("Enter a quantity greater than zero."))
    if number > maximum:
        raise ValidationError(_("This quantity is too large."))
    if -number.as_tuple().exponent > places:
        raise ValidationError(_("At most %(places)d decimal places.") % {"places": places})
    return number


def percent_bp(value) -> int:
    """A percentage typed as ``9`` or ``12.5`` (any digits) → basis points (900, 1250)."""
    if value is None or value == "":
        return 0
    try:
        number = Decimal(to_ascii_digits(str(value)).strip().replace("\u066b", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a percentage such as 9 or 12.5.")) from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise ValidationError(_("Enter a percentage between 0 and 100."))
    basis_points = number * 100
    if basis_points != basis_points.to_integral_value():
        raise ValidationError(_("At most two decimal places."))
    return int(basis_points)


def date(value, *, required: bool = False) -> dt.date | None:
    """A date given as a ``date``, ISO text (``2026-01-31``) or Jalali text (``1404/11/11``)."""
    if value is None or value == "":
        if required:
            raise ValidationError(_("This field is required."))
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = to_ascii_digits(str(value)).strip()
    try:
        iso = dt.date.fromisoformat(raw)
    except ValueError:
        iso = None
    if iso is not None and iso.year > 1700:
        return iso
    try:
        return jalali.parse_date(raw)
    except jalali.JalaliInputError as exc:
        raise ValidationError(str(exc)) from None
