"""Acceptance 1 (quotes): a Persian-speaking user builds a quote with live totals, downloads
its PDF and reads the Jalali date and total from it, e-mails it and records its acceptance."""

from email import message_from_bytes

import pytest
from django.utils import timezone
from django.utils.translation import override
from pdfminer.high_level import extract_text
from playwright.sync_api import expect

from peyvand.core.jalali import format_date
from peyvand.core.persian import to_persian_digits
from peyvand.sales.models import Order, Quote

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.sales.quotes_fixtures"]


def persian(label) -> str:
    """The label as the Persian page shows it (from the project's translations)."""
    with override("fa"):
        return str(label)


def test_build_download_send_and_accept_a_quote(
    logged_in_page, agent, make_person, products, smtp_server
):
    customer = make_person(agent, first_name="سارا", last_name="محمدی", emails=["sara@example.com"])
    page = logged_in_page(agent)
    page.goto(f"/sales/quotes/new/?person={customer.pk}")
    expect(page.locator("#id_person")).to_have_value(str(customer.pk))

    # Line 1: a product from the catalogue, two of them, 10% off.
    first = page.locator("tr.quote-line").nth(0)
    first.locator("select.line-product").select_option(str(products["laptop"].pk))
    expect(first.locator(".line-price")).to_have_value("500000")  # Toman, from the product
    first.locator(".line-quantity").fill("۲")
    first.locator(".line-discount-percent").fill("۱۰")

    # Line 2: free text, typed in Persian digits.
    page.click("#add-line")
    second = page.locator("tr.quote-line").nth(1)
    second.locator(".line-description").fill("نصب و راه‌اندازی")
    second.locator(".line-quantity").fill("۱")
    second.locator(".line-price").fill("۱۰۰۰۰۰")

    # The totals follow the typing: (9,000,000 + 1,000,000) Rials + 10% VAT, in Toman.
    expect(page.locator("#total-total")).to_contain_text("۱,۱۰۰,۰۰۰")
    expect(page.locator("#total-discount")).to_contain_text("۱۰۰,۰۰۰")
    page.locator("#quote-form button[type=submit]", has_text="ذخیره").click()
    page.wait_for_url("**/sales/quotes/*/")
    quote = Quote.objects.get()
    assert (quote.total, quote.lines.count()) == (11_000_000, 2)
    expect(page.locator("#quote-total")).to_contain_text("۱,۱۰۰,۰۰۰")

    # The PDF: right-to-left text, Jalali dates and the total in Rials with Persian digits.
    with page.expect_download() as download_info:
        page.click("#pdf-link")
    download = download_info.value
    assert download.suggested_filename == f"{quote.number}.pdf"
    text = extract_text(str(download.path()))
    today = to_persian_digits(format_date(timezone.localdate()))
    assert today in text
    assert to_persian_digits(format_date(quote.valid_until)) in text
    assert "۱۱٬۰۰۰٬۰۰۰" in text

    # E-mail it to the customer's address, offered already; the outbox delivers it.
    expect(page.locator("#send-to")).to_have_value("sara@example.com")
    page.click("#send-button")
    expect(page.locator(".quote-status")).to_have_text(persian(Quote.Status.SENT.label))
    assert len(smtp_server.envelopes) == 1
    mail = message_from_bytes(smtp_server.envelopes[0].content)
    assert [part.get_filename() for part in mail.walk() if part.get_filename()] == [
        f"{quote.number}.pdf"
    ]
    expect(page.locator("#sent-emails")).to_contain_text("sara@example.com")

    # The customer accepts: the quote becomes an order.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#accept-button")
    expect(page.locator(".quote-status")).to_have_text(persian(Quote.Status.ACCEPTED.label))
    order = Order.objects.get(quote=quote)
    expect(page.locator("#quote-order")).to_contain_text(to_persian_digits(order.number))
    assert order.total == quote.total
