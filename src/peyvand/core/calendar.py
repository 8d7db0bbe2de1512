"""The Jalali calendar table (``JalaliDay``): filled once by a migration, and again by
``ensure_calendar`` wherever its rows may have been flushed (test databases)."""

import datetime as dt

import jdatetime

# Jalali 1379..1479 (Gregorian 2000..2101): every date a report may group by month or week.
FIRST_YEAR, LAST_YEAR = 1379, 1479


def _days_in_month(year: int, month: int) -> int:
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if jdatetime.date(year, 1, 1).isleap() else 29


def calendar_rows(model) -> list:
    """Unsaved ``model`` rows, one per day; one calendar conversion per month."""
    rows = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        for month in range(1, 13):
            first = jdatetime.date(year, month, 1)
            gregorian = first.togregorian()
            saturday_offset = first.weekday()  # jdatetime: Saturday is 0
            for index in range(_days_in_month(year, month)):
                day = gregorian + dt.timedelta(days=index)
                weekday = (saturday_offset + index) % 7
                rows.append(
                    model(
                        date=day,
                        year=year,
                        month=month,
                        day=index + 1,
                        month_key=year * 100 + month,
                        week_start=day - dt.timedelta(days=weekday),
                    )
                )
    return rows


def ensure_calendar() -> None:
    from .models import JalaliDay

    if not JalaliDay.objects.exists():
        JalaliDay.objects.bulk_create(calendar_rows(JalaliDay), batch_size=900)
