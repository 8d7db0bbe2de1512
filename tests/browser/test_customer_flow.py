"""Acceptance 3: the main path of a Persian-speaking user, in a real Chromium."""

import pytest
from django.utils.translation import override
from playwright.sync_api import expect

from peyvand.core.errors import StaleVersionError
from peyvand.customers.models import Person

pytestmark = pytest.mark.browser


def _first_row_input(page, section, name, add_label_selector):
    inputs = page.locator(f"#{section} input[name={name}]")
    if inputs.count() == 0:
        page.locator(f"#{section} {add_label_selector}").click()
    return inputs.first


def test_create_find_follow_up_and_conflict(logged_in_page, agent, browser, live_server):
    page = logged_in_page(agent)

    # Create a person with a Persian name, a phone typed on an Arabic keyboard, a Jalali birthday.
    page.goto("/customers/people/new/")
    page.fill("input[name=first_name]", "علی")
    page.fill("input[name=last_name]", "کریمی")
    _first_row_input(page, "phones", "phone_number", "button").fill("٠٩١٢١٢٣٤٥٦٧")
    page.fill("input[name=birthday]", "۱۳۷۰/۰۵/۱۲")
    page.keyboard.press("Escape")
    page.locator("form button[type=submit]", has_text="ذخیره").click()
    page.wait_for_url("**/customers/people/*/")
    person = Person.objects.get(last_name="کریمی")
    assert person.phones.get().number == "+989121234567"
    assert person.birthday.isoformat() == "1991-08-03"
    expect(page.locator("a[href='tel:+989121234567']")).to_be_visible()

    # Find them from the global search, typed with Arabic ي and ك.
    page.fill("#global-search", "علي كريمي")
    page.press("#global-search", "Enter")
    page.wait_for_url("**/search/**")
    page.get_by_role("link", name="علی کریمی").first.click()
    page.wait_for_url(f"**/customers/people/{person.pk}/")

    # Add a follow-up due on a Jalali date-time and see it on the timeline.
    page.select_option("select[name=kind]", "task")
    page.fill("form[hx-post] input[name=subject]", "تماس برای پیش‌فاکتور")
    page.fill("form[hx-post] input[name=due_at]", "۱۴۰۵/۰۹/۱۰ ۱۰:۳۰")
    page.keyboard.press("Escape")
    page.locator("form[hx-post] button[type=submit]").click()
    expect(page.locator("#timeline")).to_contain_text("تماس برای پیش‌فاکتور")
    expect(page.locator("#followups")).to_contain_text("تماس برای پیش‌فاکتور")

    # A stale edit: two tabs open the edit form, the first saves, the second gets the conflict.
    edit_url = f"/customers/people/{person.pk}/edit/"
    other = page.context.new_page()
    other.goto(edit_url)
    page.goto(edit_url)
    page.fill("input[name=first_name]", "علیرضا")
    page.locator("form button[type=submit]", has_text="ذخیره").click()
    page.wait_for_url(f"**/customers/people/{person.pk}/")
    other.fill("input[name=first_name]", "محمدعلی")
    other.locator("form button[type=submit]", has_text="ذخیره").click()
    with override("fa"):
        conflict = str(StaleVersionError.message)
    expect(other.locator(".alert-danger[role=alert]")).to_contain_text(conflict)
    person.refresh_from_db()
    assert person.first_name == "علیرضا"


def test_switch_to_english_and_back(logged_in_page, agent):
    page = logged_in_page(agent)
    page.goto("/accounts/profile/")
    page.select_option("select[name=language]", "en")
    page.locator("#language-form button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/accounts/profile/")
    page.select_option("select[name=language]", "fa")
    page.locator("#language-form button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "fa")
