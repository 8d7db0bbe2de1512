"""Issue 3, acceptance 1: importing in Persian, from an Excel file and a Windows-1256 CSV."""

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from peyvand.customers.models import Person
from peyvand.transfers.models import ImportJob

pytestmark = pytest.mark.browser


def _xlsx(path):
    book = Workbook()
    book.active.title = "راهنما"
    book.active.append(["این برگه توضیح است"])
    sheet = book.create_sheet("مشتریان")
    sheet.append(["نام", "نام خانوادگی", "تلفن همراه", "ایمیل", "شرکت"])
    sheet.append(["علی", "کریمی", 9121234567, "ali@example.com", "شرکت آلفا"])
    sheet.append(["مریم", "احمدی", "۰۹۳۵۱۱۱۲۲۳۳", "", "شرکت آلفا"])
    sheet.append(["بدون", "", "12", "not-mail", ""])
    book.save(path)
    return path


def _cp1256_csv(path):
    # Windows-1256 has no Persian ye or kaf: such files carry the Arabic letters.
    text = "نام,نام خانوادگی,موبایل\nسارا,نوری,09121112233\nنیما,صادقی,09121112244\n"
    path.write_bytes(text.replace("ی", "ي").replace("ک", "ك").encode("cp1256"))
    return path


def _upload(page, path):
    page.goto("/transfers/imports/")
    page.set_input_files("#import-file", str(path))
    page.get_by_role("button", name="بارگذاری").click()
    page.wait_for_url("**/transfers/imports/*/")


def test_import_xlsx_and_windows_1256_csv_with_preview_report_and_undo(
    logged_in_page, agent, tmp_path
):
    page = logged_in_page(agent)
    page.on("dialog", lambda dialog: dialog.accept())

    # Excel: choose the sheet with the customers; the Persian headers are mapped for us.
    _upload(page, _xlsx(tmp_path / "مشتریان.xlsx"))
    page.select_option("#sheet", "مشتریان")
    page.get_by_role("button", name="استفاده از این برگه").click()
    expect(page.locator("select[aria-label='تلفن همراه']")).to_have_value("phone_mobile")
    expect(page.locator("select[aria-label='شرکت']")).to_have_value("organization")

    page.get_by_role("button", name="پیش‌نمایش").click()
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("+989121234567")  # a number Excel stored without its 0
    expect(preview).to_contain_text("شرکت آلفا")
    expect(preview.locator("tr.table-warning")).to_contain_text("نام خانوادگی")

    page.get_by_role("button", name="شروع ورود اطلاعات").click()
    expect(page.locator("#import-status")).to_have_attribute("data-status", "done")
    expect(page.locator("#import-progress .progress-bar")).to_contain_text("۱۰۰")
    expect(page.locator("[data-count=created]")).to_have_text("۲")
    expect(page.locator("[data-count=rejected]")).to_have_text("۱")

    with page.expect_download() as download:
        page.locator("#import-report").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["ردیف", "ستون", "دلیل"]
    assert {(r[0], r[1]) for r in rows[1:]} >= {("4", "نام خانوادگی"), ("4", "تلفن همراه")}

    # Windows-1256 CSV: detected, read with Persian letters, imported.
    _upload(page, _cp1256_csv(tmp_path / "old-system.csv"))
    expect(page.locator("body")).to_contain_text("cp1256")
    page.get_by_role("button", name="شروع ورود اطلاعات").click()
    expect(page.locator("#import-status")).to_have_attribute("data-status", "done")
    assert Person.objects.filter(last_name="نوری", first_name="سارا").exists()
    assert Person.objects.count() == 4

    # Undo the Excel import: its people go to the trash, the CSV's stay.
    excel = ImportJob.objects.get(format="xlsx")
    page.goto(f"/transfers/imports/{excel.pk}/")
    page.get_by_role("button", name="برگرداندن ورود اطلاعات").click()
    expect(page.locator("#import-status")).to_have_attribute("data-status", "undone")
    assert set(Person.objects.values_list("last_name", flat=True)) == {"نوری", "صادقی"}
    assert Person.trashed.count() == 2
