"""Collecting field errors from service input, so one bad request reports every bad field.

Services receive plain dicts (from a form or an API body), normalise each value and
raise one ``ValidationError`` keyed by field path (``phones.0.number``), with messages
in the active language.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .persian import clean_text


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
