"""A long list is exported in the background, in Persian: the Exports page, then the file."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from peyvand.transfers import exports
from peyvand.transfers.models import ExportJob

pytestmark = pytest.mark.browser


def test_a_long_list_is_prepared_in_the_background_then_downloaded(
    logged_in_page, agent, other_agent, make_person, settings
):
    settings.PEYVAND = {**settings.PEYVAND, "EXPORT_INLINE_LIMIT": 1}
    make_person(agent, first_name="علی", last_name="کریمی")
    make_person(agent, first_name="مریم", last_name="احمدی")
    make_person(other_agent, first_name="پنهان", last_name="دیگری")
    page = logged_in_page(agent)

    page.goto("/customers/people/")
    page.locator("#export summary").click()
    page.check("#export-last_name")
    page.get_by_role("button", name="دریافت فایل CSV").click()

    page.wait_for_url("**/exports/")
    expect(page.locator(".alert-info")).to_be_visible()  # "being prepared in the background"
    job = page.locator("#export-jobs tbody tr").first
    expect(job.locator("td").nth(4)).to_have_text("۲")  # rows, in Persian digits
    expect(page.locator("#notifications-link .badge")).to_have_text("۱")

    with page.expect_download() as download_info:
        job.locator("a[href$='/download/']").click()
    download = download_info.value
    assert download.suggested_filename.startswith("people-")
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    _header, *rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["احمدی"], ["کریمی"]]


def test_the_exports_page_shows_the_link_by_itself_once_the_file_is_ready(
    logged_in_page, agent, make_person
):
    make_person(agent, first_name="علی", last_name="کریمی")
    job = ExportJob.objects.create(created_by=agent, entity="person", format="xlsx")
    page = logged_in_page(agent)
    page.goto("/exports/")
    link = page.locator(f"#export-{job.pk} a[href$='/download/']")
    expect(link).to_have_count(0)

    exports.run_export(job.pk)  # what the worker does

    expect(link).to_be_visible()  # HTMX polled the list without a reload
