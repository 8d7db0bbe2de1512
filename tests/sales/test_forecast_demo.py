"""Demo deals in bulk, and the forecast checked against a row-by-row Jalali count of them."""

from collections import Counter

import jdatetime
import pytest
from django.core.management import call_command
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.customers.demo import generate
from peyvand.sales.demo import generate_deals
from peyvand.sales.forecast import forecast
from peyvand.sales.kpis import sales_kpis
from peyvand.sales.models import Deal, SalesTarget, StageChange
from peyvand.sales.report_scope import Scope


@pytest.fixture
def demo(db):
    generate(60, seed=3)
    return generate_deals(400, seed=3)


def jalali_month(moment) -> tuple[int, int]:
    day = jdatetime.date.fromgregorian(date=timezone.localtime(moment).date())
    return day.year, day.month


def test_demo_deals_are_complete_and_consistent(demo):
    assert demo["deals"] == Deal.objects.count() == 400
    assert demo["won"] and demo["lost"]
    closed = Deal.objects.exclude(status=Deal.Status.OPEN)
    assert not closed.filter(closed_at__isnull=True).exists()
    assert not Deal.objects.filter(status=Deal.Status.LOST, lost_reason__isnull=True).exists()
    assert not Deal.objects.filter(status=Deal.Status.OPEN, closed_at__isnull=False).exists()
    assert not Deal.objects.filter(closed_at__gt=timezone.now()).exists()
    assert Deal.objects.values("pipeline").distinct().count() == 2
    assert Deal.objects.values("owner").distinct().count() > 1
    # Every deal entered its first stage; every closed one has its closing row.
    assert (
        StageChange.objects.filter(status=Deal.Status.OPEN).values("deal").distinct().count() == 400
    )
    assert StageChange.objects.exclude(status=Deal.Status.OPEN).count() == closed.count()
    for deal in Deal.objects.filter(stage_changes__isnull=False).distinct()[:50]:
        last_entry = deal.stage_changes.filter(status=Deal.Status.OPEN).last()
        assert last_entry.to_stage_id == deal.stage_id
    # Expected close dates spread over the 18 Jalali months around today.
    expected = Deal.objects.exclude(expected_close=None).values_list("expected_close", flat=True)
    months = {jdatetime.date.fromgregorian(date=day).strftime("%Y/%m") for day in expected}
    assert len(months) >= 15
    assert SalesTarget.objects.count() == demo["targets"] > 0


def test_forecast_matches_a_row_by_row_count(demo):
    admin = User.objects.get(email="demo-manager@example.com")
    admin.role = "admin"
    year = jdatetime.date.fromgregorian(date=timezone.localdate()).year - 1
    won = Counter()
    for amount, closed_at in Deal.objects.filter(status=Deal.Status.WON).values_list(
        "amount", "closed_at"
    ):
        if jalali_month(closed_at)[0] == year:
            won[jalali_month(closed_at)[1]] += amount

    result = forecast(Scope(user=admin), year)

    assert {m["month"]: m["won_amount"] for m in result["months"] if m["won_amount"]} == dict(won)
    assert result["total"]["won_amount"] == sum(won.values()) > 0
    figures = sales_kpis(
        Scope(user=admin), result["months"][0]["first_day"], result["months"][-1]["last_day"]
    )
    assert figures["win_rate"]["n"] > 0 and figures["deal_size"]["total"] == sum(won.values())


def test_demo_command_adds_deals(db, capsys):
    call_command("demo", "--people", "20", "--deals", "50", "--seed", "1")
    assert "added 50 deals" in capsys.readouterr().out
    assert Deal.objects.count() == 50
