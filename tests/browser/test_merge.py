"""Acceptance 4 and 5 in the browser, in Persian: a duplicate is caught on entry, saved
anyway, found by the scan, merged with a field chosen by hand, and the merge undone."""

import pytest
from playwright.sync_api import expect

from peyvand.activities import services as activities
from peyvand.customers import services
from peyvand.customers.models import DuplicatePair, Merge, Person

pytestmark = pytest.mark.browser


def test_catch_save_anyway_scan_merge_and_undo(logged_in_page, agent, manager):
    original = services.create_person(
        agent, {"first_name": "مریم", "last_name": "کاظمی", "phones": ["09121234567"]}
    )
    page = logged_in_page(agent)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")

    # Typed on an Arabic keyboard with Persian digits: the form shows the likely duplicate.
    page.goto("/customers/people/new/")
    page.fill("input[name=first_name]", "مريم")
    page.fill("input[name=last_name]", "كاظمي")
    phone = page.locator("#phones input[name=phone_number]")
    if phone.count() == 0:
        page.locator("#phones button").click()
    phone.first.fill("۰۹۱۲ ۱۲۳ ۴۵۶۷")
    page.locator("form button[type=submit]", has_text="ذخیره").click()
    warning = page.locator("#likely-duplicates")
    expect(warning).to_be_visible()
    expect(warning.locator(f"a[href='/customers/people/{original.pk}/']")).to_have_text(
        "مریم کاظمی"
    )
    expect(page.locator("input[name=first_name]")).to_have_value("مريم")
    assert Person.objects.count() == 1

    # Saved anyway.
    page.check("#allow_duplicate")
    page.locator("form button[type=submit]", has_text="ذخیره").click()
    page.wait_for_url("**/customers/people/*/")
    copy = Person.objects.exclude(pk=original.pk).get()
    activities.create_activity(agent, {"kind": "note", "subject": "یادداشت دوم", "person": copy.pk})

    # The manager scans and reviews the queue.
    page.context.clear_cookies()
    page = logged_in_page(manager)
    page.goto("/customers/people/")
    page.locator("#duplicates-link").click()
    page.wait_for_url("**/customers/people/duplicates/")
    page.locator("#scan-now").click()
    pair = DuplicatePair.objects.get()
    row = page.locator(f"#pair-{pair.pk}")
    expect(row).to_contain_text("مریم کاظمی")
    expect(row).to_contain_text("۰۹۱۲")

    # Compare and merge, keeping the copy's spelling of the first name.
    row.locator("a.btn-primary").click()
    page.wait_for_url(f"**/customers/people/{original.pk}/merge/{copy.pk}/")
    expect(page.locator("#related-counts")).to_contain_text("۱")
    page.check("#first_name-other")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#merge-button").click()
    page.wait_for_url(f"**/customers/people/{original.pk}/")
    expect(page.locator("h1")).to_have_text("مريم کاظمی")
    expect(page.locator("#timeline")).to_contain_text("یادداشت دوم")
    assert Person.trashed.filter(pk=copy.pk).exists()

    # Undo from the merge history: both records are back as they were.
    page.goto("/customers/people/merges/")
    merge = Merge.objects.get()
    page.locator(f"#merge-{merge.pk} button[type=submit]").click()
    page.wait_for_url(f"**/customers/people/{copy.pk}/")
    expect(page.locator("#timeline")).to_contain_text("یادداشت دوم")
    original.refresh_from_db()
    assert original.first_name == "مریم"
    assert Person.objects.filter(pk=copy.pk).exists()
