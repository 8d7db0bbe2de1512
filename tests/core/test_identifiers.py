import pytest
from django.core.exceptions import ValidationError

from peyvand.core.identifiers import normalize_legal_id, normalize_national_id
from peyvand.core.phone import display_phone, normalize_phone


@pytest.mark.parametrize("raw", ["0012345679", "۰۰۱۲۳۴۵۶۷۹", "001-234567-9", "0499370899"])
def test_valid_national_ids(raw):
    assert normalize_national_id(raw).isdigit()


@pytest.mark.parametrize("raw", ["0012345678", "1111111111", "12345", "abcdefghij", "00123456790"])
def test_invalid_national_ids(raw):
    with pytest.raises(ValidationError):
        normalize_national_id(raw)


def test_legal_id_checksum():
    assert normalize_legal_id("۱۰۱۰۰۳۹۰۲۲۰") == "10100390220"
    with pytest.raises(ValidationError):
        normalize_legal_id("10100390221")


@pytest.mark.parametrize(
    "typed",
    [
        "09121234567",
        "0912 123 4567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+98 912 123 4567",
        "00989121234567",
        "9121234567",
    ],
)
def test_phone_any_format_becomes_e164(typed):
    assert normalize_phone(typed) == "+989121234567"


def test_landline_and_foreign_numbers():
    assert normalize_phone("021 8888 7777") == "+982188887777"
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert display_phone("+989121234567") == "0912 123 4567"


@pytest.mark.parametrize("typed", ["12", "hello", "0912", "+98 912 123 4567 8888 9999", "x" * 1000])
def test_bad_phones_are_refused(typed):
    with pytest.raises(ValidationError):
        normalize_phone(typed)
