"""The quote pages without a browser: the editor, live totals, actions and visibility."""

import pytest
from django.test import TestCase

from peyvand.core.models import OutboxMessage
from peyvand.sales import deals, quotes
from peyvand.sales.models import Quote

pytest_plugins = ["tests.sales.quotes_fixtures"]

XSS = "<script>alert(1)</script>"


@pytest.fixture
def customer(agent, make_person):
    return make_person(agent, first_name="رضا", last_name="نوری", emails=["reza@example.com"])


def _form(customer, products, **extra):
    """The editor's POST: two rows (one with a discount) and a blank row left over."""
    return {
        "person": customer.pk,
        "line_product": [products["laptop"].pk, "", ""],
        "line_description": ["", "نصب", ""],
        "line_quantity": ["۲", "1", "1"],
        "line_unit": ["piece", "service", "piece"],
        "line_unit_price": ["", "۱۰۰٬۰۰۰", ""],  # Toman, as the page shows amounts
        "line_discount_percent": ["10", "", ""],
        "line_discount_amount": ["", "", ""],
        "line_tax_rate_percent": ["", "", ""],
        "discount": "",
        "valid_until": "۱۴۰۶/۰۱/۱۵",
        "notes": XSS,
        **extra,
    }


def test_build_a_quote_in_the_editor(web_as, agent, customer, products):
    client = web_as(agent)
    assert client.get("/sales/quotes/new/").status_code == 200
    response = client.post("/sales/quotes/new/", _form(customer, products))
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sales/quotes/{quote.pk}/"
    # 2 × 5,000,000 − 10% = 9,000,000; 1 × 1,000,000 Rials; both + 10% VAT.
    assert (quote.subtotal, quote.total) == (11_000_000, 11_000_000)
    page = client.get(f"/sales/quotes/{quote.pk}/").content.decode()
    assert "&lt;script&gt;" in page and XSS not in page
    assert "۱٬۱۰۰٬۰۰۰" in page or "۱,۱۰۰,۰۰۰" in page  # the total in Toman


def test_live_totals(web_as, agent, customer, products):
    client = web_as(agent)
    box = client.post("/sales/quotes/totals/", _form(customer, products)).content.decode()
    assert 'id="total-total"' in box and ("۱٬۱۰۰٬۰۰۰" in box or "۱,۱۰۰,۰۰۰" in box)
    bad = _form(customer, products, line_quantity=["abc", "1", "1"])
    box = client.post("/sales/quotes/totals/", bad).content.decode()
    assert 'id="totals-errors"' in box and 'id="total-total"' not in box
    assert not Quote.objects.exists()


def test_bad_input_comes_back_marked(web_as, agent, customer, products):
    bad = _form(customer, products, line_unit_price=["", "-5", ""], valid_until="1406/13/40")
    response = web_as(agent).post("/sales/quotes/new/", bad)
    assert response.status_code == 422
    body = response.content.decode()
    assert body.count("is-invalid") >= 2 and "نصب" in body  # what was typed stays
    assert not Quote.objects.exists()


def test_a_deal_prefills_the_editor(web_as, agent, customer, products):
    deal = deals.create_deal(
        agent,
        {
            "title": "تجهیز",
            "person": customer.pk,
            "products": [{"product": products["support"].pk, "quantity": "12"}],
        },
    )
    page = web_as(agent).get(f"/sales/quotes/new/?deal={deal.pk}").content.decode()
    assert f'value="{deal.pk}"' in page and "تجهیز" in page and "نوری" in page
    assert 'name="line_quantity" value="12"' in page


def test_edit_send_accept_through_the_pages(web_as, agent, customer, make_quote, smtp_server):
    quote = make_quote(agent, person=customer.pk)
    client = web_as(agent)
    edit = client.get(f"/sales/quotes/{quote.pk}/edit/")
    assert edit.status_code == 200
    stale = client.post(
        f"/sales/quotes/{quote.pk}/edit/",
        {
            "version": "0",
            "person": customer.pk,
            "line_description": ["x"],
            "line_quantity": ["1"],
            "line_unit_price": ["1"],
            "line_unit": ["piece"],
        },
    )
    assert stale.status_code == 409 and 'id="stale-version"' in stale.content.decode()

    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = client.post(
            f"/sales/quotes/{quote.pk}/send/",
            {"to": "buyer@example.com", "message": "سلام", "version": "1"},
        )
    assert sent.status_code == 302
    assert OutboxMessage.objects.get().status == "sent"  # tried right after the commit
    assert smtp_server.envelopes[0].rcpt_tos == ["buyer@example.com"]

    # A sent quote is no longer edited: the page says why.
    refused = client.get(f"/sales/quotes/{quote.pk}/edit/", follow=True)
    assert "پیش‌نویس" in refused.content.decode() or "draft" in refused.content.decode()
    quote.refresh_from_db()
    client.post(f"/sales/quotes/{quote.pk}/accept/", {"version": quote.version})
    quote.refresh_from_db()
    assert quote.status == "accepted" and quote.order is not None
    pdf = client.get(f"/sales/quotes/{quote.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_pages_respect_visibility_and_roles(
    web_as, agent, other_agent, viewer, customer, make_quote, make_person
):
    quote = make_quote(agent, person=customer.pk)
    stranger = web_as(other_agent)
    for path in ("", "edit/", "pdf/"):
        assert stranger.get(f"/sales/quotes/{quote.pk}/{path}").status_code == 404
    for path in ("send/", "accept/", "reject/", "delete/"):
        assert stranger.post(f"/sales/quotes/{quote.pk}/{path}").status_code == 404
    assert quote.number not in stranger.get("/sales/quotes/").content.decode()
    # The customer search of the editor lists only visible people.
    make_person(other_agent, last_name="نوری دیگر")
    options = web_as(agent).get("/sales/quotes/customers/?kind=person&person_q=نوری")
    assert "رضا نوری" in options.content.decode() and "دیگر" not in options.content.decode()

    reader = web_as(viewer)
    assert reader.get(f"/sales/quotes/{quote.pk}/").status_code == 200
    reader.post(f"/sales/quotes/{quote.pk}/accept/", {"version": "1"})
    reader.post("/sales/quotes/new/", {"person": customer.pk})
    quote.refresh_from_db()
    assert quote.status == "draft" and Quote.objects.count() == 1
    assert quotes.visible_quotes(viewer).count() == 1
