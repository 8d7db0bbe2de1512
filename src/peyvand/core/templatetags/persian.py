"""Template filters for Persian presentation: digits, Jalali dates, phones and money.

Django's ``fa`` locale prints ASCII digits, so ``fa_digits`` converts them when the
active language is Persian.
"""

from django import template
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import get_language

from peyvand.core import audit, jalali, money, phone
from peyvand.core.persian import to_persian_digits

register = template.Library()


def _localise_digits(text: str) -> str:
    return to_persian_digits(text) if (get_language() or "").startswith("fa") else text


@register.filter
def fa_digits(value):
    """Digits in the user's language; keeps escaped text escaped."""
    if value is None:
        return ""
    text = _localise_digits(str(value))
    return mark_safe(text) if isinstance(value, SafeData) else text  # noqa: S308 (input was safe)


@register.filter
def jdate(value):
    return _localise_digits(jalali.format_date(value))


@register.filter
def jdatetime(value):
    return _localise_digits(jalali.format_datetime(value))


@register.filter
def jdate_input(value):
    """A Jalali date as an input's value: ASCII digits, which the date picker reads."""
    return jalali.format_date(value)


@register.filter
def phone_display(value):
    return _localise_digits(phone.display_phone(value)) if value else ""


@register.filter
def rials(value):
    return _localise_digits(money.format_rials(value))


@register.filter
def readable_changes(event):
    """``{% for field, old, new in event|readable_changes %}``, in the reader's language."""
    return audit.readable_changes(event)
