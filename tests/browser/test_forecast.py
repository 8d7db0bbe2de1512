"""A manager's forecast in Persian, in a real Chromium: a target set in the grid, a deal won
this Jalali month against it, an open deal next month weighted, and the KPIs with their n."""

import jdatetime
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from peyvand.core.persian import to_persian_digits
from peyvand.sales import deals
from peyvand.sales.models import SalesTarget
from tests.sales.reports_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.browser


def this_and_next_month() -> tuple[jdatetime.date, jdatetime.date]:
    today = jdatetime.date.fromgregorian(date=timezone.localdate())
    following = jdatetime.date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return today, following


def test_target_won_and_weighted_by_jalali_month(logged_in_page, manager, agent, stages):
    today, following = this_and_next_month()
    page = logged_in_page(manager)

    # The manager sets the agent's target for this month, typed in Persian digits (Toman).
    page.goto("/sales/targets/")
    expect(page.locator("#f-year")).to_have_value(str(today.year))
    page.fill(f"#u{agent.pk}_{today.month}", "۲۰٬۰۰۰٬۰۰۰")
    page.locator("#save-targets").click()
    expect(page.locator(".alert-success")).to_be_visible()
    target = SalesTarget.objects.get(user=agent, year=today.year, month=today.month)
    assert target.amount == 200_000_000

    # The agent wins a deal this month and has one open for next month (50% stage).
    won = deals.create_deal(agent, {"title": "قرارداد پشتیبانی", "amount": 100_000_000})
    deals.win_deal(agent, won)
    deals.create_deal(
        agent,
        {
            "title": "فروش سرور",
            "amount": 40_000_000,
            "stage": stages[2].pk,
            "expected_close": following.strftime("%Y/%m/%d"),
        },
    )

    page.goto("/sales/forecast/")
    page.select_option("#f-year", str(today.year))
    page.locator("#filters button[type=submit]").click()
    row = page.locator(f"#month-{today.month}")
    expect(row).to_have_attribute("aria-current", "date")
    expect(row.locator(".won")).to_contain_text("۱۰,۰۰۰,۰۰۰")  # 100,000,000 Rials in Toman
    expect(row.locator(".target")).to_contain_text("۲۰,۰۰۰,۰۰۰")
    expect(row.locator(".percent")).to_contain_text("۵۰")
    expect(row.locator(".percent [role=progressbar]")).to_have_attribute("aria-valuenow", "50")

    if following.year != today.year:
        page.select_option("#f-year", str(following.year))
        page.locator("#filters button[type=submit]").click()
    upcoming = page.locator(f"#month-{following.month}")
    expect(upcoming.locator(".open")).to_contain_text("۴,۰۰۰,۰۰۰")
    expect(upcoming.locator(".weighted")).to_contain_text("۲,۰۰۰,۰۰۰")
    expect(upcoming).to_contain_text(to_persian_digits(following.strftime("%Y/%m/01")))

    # The KPIs of the year: one deal closed, won; every figure says its n.
    page.locator("#kpis-link").click()
    page.wait_for_url("**/sales/kpis/**")
    expect(page.locator("#win-rate")).to_contain_text("۱۰۰")
    expect(page.locator("#win-rate .n")).to_contain_text("۱")
    expect(page.locator("#open-pipeline .n")).to_contain_text("۱")
    expect(page.locator("#lost-reasons .n")).to_contain_text("۰")
