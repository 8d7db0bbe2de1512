import datetime as dt

import pytest
from django.utils import timezone

from peyvand.core import jalali


@pytest.mark.parametrize("typed", ["1403/05/12", "۱۴۰۳/۰۵/۱۲", "1403-5-12", "١٤٠٣.٠٥.١٢"])
def test_jalali_dates_in_any_digits(typed):
    assert jalali.parse_date(typed) == dt.date(2024, 8, 2)


@pytest.mark.parametrize(
    "typed", ["1403/13/01", "1403/12/31", "2024-08-02x", "", "fooo", "1403/00/10"]
)
def test_impossible_jalali_dates_are_refused(typed):
    with pytest.raises(jalali.JalaliInputError):
        jalali.parse_date(typed)


def test_leap_esfand_30():
    assert jalali.parse_date("1403/12/30") == dt.date(2025, 3, 20)


def test_datetime_is_read_in_tehran_time():
    value = jalali.parse_datetime("۱۴۰۳/۰۵/۱۲ ۱۴:۳۰")
    assert value.astimezone(dt.UTC) == dt.datetime(2024, 8, 2, 11, 0, tzinfo=dt.UTC)
    assert jalali.format_datetime(value) == "1403/05/12 14:30"


def test_format_date_of_aware_datetime_uses_local_day():
    late_utc = timezone.make_aware(
        dt.datetime(2024, 8, 1, 22, 0), dt.UTC
    )  # 01:30 next day in Tehran
    assert jalali.format_date(late_utc) == "1403/05/12"
