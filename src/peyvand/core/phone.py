"""Phone numbers: whatever the user typed becomes E.164, Iran the default region."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .persian import to_ascii_digits

DEFAULT_REGION = "IR"


# Iranian mobiles are most numbers a CRM here sees (and all of a big import): checked against
# the library's own metadata for them, without a full parse.
_IRANIAN_MOBILE = re.compile(
    r"(?:\+98|0)?("
    + phonenumbers.PhoneMetadata.metadata_for_region(DEFAULT_REGION).mobile.national_number_pattern
    + ")"
)
_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return ``raw`` as E.164 (``+989121234567``), or raise a ValidationError."""
    text = to_ascii_digits(raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if region == DEFAULT_REGION:
        mobile = _IRANIAN_MOBILE.fullmatch(_SEPARATORS.sub("", text))
        if mobile:
            return "+98" + mobile.group(1)
    if len(text) > 40:
        raise ValidationError(_("This phone number is too long."), code="invalid_phone")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("This is not a phone number."), code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This phone number is not valid."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_digits(query: str) -> str:
    """The national significant digits a partial phone query stands for.

    ``۰۹۱۲۱۲۳`` and ``+98912123`` both become ``912123``, which is contained in the
    stored ``+989121234567``.
    """
    text = "".join(ch for ch in to_ascii_digits(query) if ch.isdigit())
    if text.startswith("0098"):
        return text[4:]
    if text.startswith("98") and query.strip().startswith(("+", "00")):
        return text[2:]
    return text.lstrip("0")


def display_phone(e164: str) -> str:
    """A stored E.164 number as people read it: national format for Iran, else international."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == DEFAULT_REGION
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)
