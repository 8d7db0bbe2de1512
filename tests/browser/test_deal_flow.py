"""A deal's main path in Persian: create it from the form (Toman, Jalali date, a customer
found by search, a product), log a call on it, move it and win it."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from peyvand.activities.models import Activity
from peyvand.sales.models import Deal
from tests.sales.deal_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.browser


def test_create_log_move_and_win(logged_in_page, agent, pipeline, stages, product, make_person):
    person = make_person(agent, first_name="کاوه", last_name="نیک‌نام")
    page = logged_in_page(agent)
    page.goto("/sales/deals/new/")
    page.fill("input[name=title]", "تمدید اشتراک سالانه")
    page.fill("input[name=amount]", "۱۲٬۵۰۰٬۰۰۰")  # Toman, typed with Persian digits
    page.fill("input[name=expected_close]", "۱۴۰۵/۰۳/۱۰")
    page.keyboard.press("Escape")
    page.fill("input[name=person_q]", "كاوه")  # an Arabic kaf finds the Persian name
    expect(page.locator("#id_person")).to_have_value(str(person.pk))
    page.click("#add-product")
    page.locator("#product-rows select[name=product_product]").select_option(str(product.pk))
    page.locator("#product-rows input[name=product_quantity]").fill("۲")
    page.locator("#deal-form button[type=submit]").click()
    page.wait_for_url("**/sales/deals/*/")

    deal = Deal.objects.get()
    assert deal.amount == 125_000_000 and deal.expected_close == dt.date(2026, 5, 31)
    assert (deal.person, deal.stage, deal.owner) == (person, stages[0], agent)
    assert deal.product_lines.get().quantity == 2
    expect(page.locator("#deal-title")).to_have_text("تمدید اشتراک سالانه")
    expect(page.locator("#deal-amount")).to_contain_text("۱۲,۵۰۰,۰۰۰")
    expect(page.locator("#deal-facts")).to_contain_text("۱۴۰۵/۰۳/۱۰")
    expect(page.locator("#deal-facts")).to_contain_text("کاوه نیک‌نام")

    # Log a call from the deal page.
    form = page.locator("#deal-activity-form")
    expect(form.locator("select[name=kind]")).to_have_value("call")
    form.locator("input[name=subject]").fill("تماس درباره تخفیف")
    form.locator("input[name=duration]").fill("۷")
    form.locator("button[type=submit]").click()
    expect(page.locator("#deal-activity-list")).to_contain_text("تماس درباره تخفیف")
    call = Activity.objects.get(subject="تماس درباره تخفیف")
    assert (call.deal, call.person, call.duration_seconds) == (deal, person, 420)

    # Move it on, then win it; the history lists every step.
    page.locator("#deal-actions select[name=stage]").select_option(str(stages[2].pk))
    page.locator("#deal-actions form").first.locator("button").click()
    expect(page.locator("#deal-stage")).to_contain_text(stages[2].name)
    page.click("#win-button")
    expect(page.locator("#reopen-button")).to_be_visible()
    deal.refresh_from_db()
    assert deal.status == "won" and deal.stage == stages[2]
    rows = page.locator("#stage-history tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text(stages[2].name)
