"""Iranian identifiers: the checksums of کد ملی and شناسه ملی, and Sheba (IBAN)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .persian import to_ascii_digits


def _digits_only(raw: str) -> str:
    return to_ascii_digits(raw or "").replace("-", "").replace(" ", "").strip()


def normalize_national_id(raw: str) -> str:
    """A person's national code (کد ملی): ten digits with a mod-11 check digit."""
    code = _digits_only(raw)
    if not code.isdigit() or len(code) != 10:
        raise ValidationError(_("A national ID has exactly 10 digits."), code="invalid_national_id")
    if len(set(code)) == 1:
        raise ValidationError(_("This national ID is not valid."), code="invalid_national_id")
    total = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
    check = int(code[9])
    if not ((total < 2 and check == total) or (total >= 2 and check == 11 - total)):
        raise ValidationError(_("This national ID is not valid."), code="invalid_national_id")
    return code


_LEGAL_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


def normalize_legal_id(raw: str) -> str:
    """An organisation's national ID (شناسه ملی): eleven digits with a weighted check digit."""
    code = _digits_only(raw)
    if not code.isdigit() or len(code) != 11:
        raise ValidationError(
            _("An organisation's national ID has exactly 11 digits."), code="invalid_legal_id"
        )
    decimal = int(code[9]) + 2
    total = sum((int(code[i]) + decimal) * _LEGAL_WEIGHTS[i] for i in range(10)) % 11
    if total % 10 != int(code[10]):
        raise ValidationError(
            _("This organisation national ID is not valid."), code="invalid_legal_id"
        )
    return code


def normalize_economic_code(raw: str) -> str:
    """Economic code (کد اقتصادی): 12 digits for companies, or a 10/11-digit ID since 1398."""
    code = _digits_only(raw)
    if not code.isdigit() or len(code) not in (10, 11, 12):
        raise ValidationError(
            _("An economic code has 10 to 12 digits."), code="invalid_economic_code"
        )
    return code
