"""Exporting the filtered people list from the list page, in Persian."""

import csv
import io
from pathlib import Path

import pytest

from peyvand.customers import services

pytestmark = pytest.mark.browser


def test_export_the_filtered_list_as_csv(logged_in_page, agent, make_person):
    tag = services.create_tag(agent, name="ویژه")
    make_person(agent, first_name="علی", last_name="کریمی", tags=[tag.pk])
    make_person(agent, first_name="مریم", last_name="احمدی")
    page = logged_in_page(agent)
    page.goto(f"/customers/people/?tag={tag.pk}")
    page.locator("#export summary").click()
    page.check("#export-last_name")
    page.check("#export-first_name")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="دریافت فایل CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["علی", "کریمی"]]
