"""Helpers of the forecast, KPI and target tests: deals made and closed through the services,
then dated in the past (the services stamp "now"; reports need other months too)."""

import datetime as dt
from zoneinfo import ZoneInfo

import jdatetime

from peyvand.sales import deals
from peyvand.sales.models import Deal, StageChange

from .deal_fixtures import *  # noqa: F403 (fixtures)

TEHRAN = ZoneInfo("Asia/Tehran")


def jday(text: str) -> dt.date:
    """``"1405/01/15"`` → its Gregorian date."""
    year, month, day = (int(part) for part in text.split("/"))
    return jdatetime.date(year, month, day).togregorian()


def tehran(text: str, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment of a Jalali day, Tehran time."""
    return dt.datetime.combine(jday(text), dt.time(hour, minute), tzinfo=TEHRAN)


def dated(deal: Deal, *, created: dt.datetime | None = None, closed: dt.datetime | None = None):
    """Move the deal's creation and closing (and the history rows they wrote) to these moments."""
    if created:
        Deal.all_objects.filter(pk=deal.pk).update(created_at=created)
        first = StageChange.objects.filter(deal_id=deal.pk).order_by("at", "id").first()
        StageChange.objects.filter(pk=first.pk).update(at=created)
    if closed:
        Deal.all_objects.filter(pk=deal.pk).update(closed_at=closed)
        StageChange.objects.filter(deal_id=deal.pk).exclude(status=Deal.Status.OPEN).update(
            at=closed
        )
    return Deal.all_objects.get(pk=deal.pk)


def won_on(actor, deal: Deal, moment: dt.datetime, created: dt.datetime | None = None) -> Deal:
    deals.win_deal(actor, deal)
    return dated(deal, created=created, closed=moment)


def lost_on(actor, deal: Deal, lost_reason, moment: dt.datetime) -> Deal:
    deals.lose_deal(actor, deal, lost_reason.pk)
    return dated(deal, closed=moment)
