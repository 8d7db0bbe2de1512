"""The quotes API: round trip, versions, actions, PDF, e-mail, visibility and bad input."""

import io

import pytest
from pdfminer.high_level import extract_text

from peyvand.core.jalali import format_date
from peyvand.core.models import OutboxMessage
from peyvand.core.outbox import dispatch_due
from peyvand.core.persian import to_persian_digits
from peyvand.sales import deals
from peyvand.sales.models import Deal, Order, Quote

pytest_plugins = ["tests.sales.quotes_fixtures"]

XSS = "<script>alert(1)</script>"


@pytest.fixture
def customer(agent, make_person):
    return make_person(agent, first_name="مریم", last_name="احمدی", emails=["maryam@example.com"])


@pytest.fixture
def api(api_as, agent):
    return api_as(agent)


def _body(customer, products, **extra):
    return {
        "person": customer.pk,
        "lines": [
            {"product": products["laptop"].pk, "quantity": "2", "discount_percent": "5"},
            {"description": "نصب", "quantity": "۱", "unit_price": "500000", "tax_rate_percent": 0},
        ],
        "discount": 100_000,
        "valid_until": "1406/01/15",
        "notes": XSS,
        **extra,
    }


def test_quote_round_trip(api, customer, products):
    created = api.post("/api/v1/quotes", _body(customer, products))
    assert created.status_code == 201, created.content
    body = created.json()
    assert created["ETag"] == '"1"' and created["Location"].endswith(f"/quotes/{body['id']}")
    assert body["number"].startswith("PF-") and body["status"] == "draft"
    assert body["valid_until"] == "2027-04-04"  # ISO out, whatever came in
    laptop, install = body["lines"]
    assert (laptop["gross"], laptop["discount_percent"], laptop["tax_rate_percent"]) == (
        10_000_000,
        5.0,
        10.0,
    )
    assert (install["quantity"], install["tax"], install["description"]) == ("1", 0, "نصب")
    # 9,500,000 and 500,000 share the 100,000: 95,000 + 5,000.
    assert (laptop["net"], install["net"]) == (9_405_000, 495_000)
    assert (body["subtotal"], body["discount_total"], body["tax_total"], body["total"]) == (
        10_500_000,
        600_000,
        940_500,
        10_840_500,
    )
    assert body["notes"] == XSS and body["order"] is None

    fetched = api.get(f"/api/v1/quotes/{body['id']}")
    assert fetched.status_code == 200 and fetched.json() == body
    listed = api.get("/api/v1/quotes?q=احمدی").json()
    assert [q["id"] for q in listed["items"]] == [body["id"]]
    assert api.get("/api/v1/quotes?status=sent").json()["items"] == []

    patched = api.patch(
        f"/api/v1/quotes/{body['id']}", {"discount": 0, "version": 1, "notes": "بدون تخفیف"}
    )
    assert patched.status_code == 200 and patched["ETag"] == '"2"'
    assert patched.json()["total"] == 10_950_000
    stale = api.patch(f"/api/v1/quotes/{body['id']}", {"notes": "x"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    conflict = api.patch(f"/api/v1/quotes/{body['id']}", {"notes": "x", "version": 1})
    assert conflict.status_code == 409

    assert api.delete(f"/api/v1/quotes/{body['id']}").status_code == 204
    assert api.get(f"/api/v1/quotes/{body['id']}").status_code == 404
    restored = api.post(f"/api/v1/quotes/{body['id']}/restore")
    assert restored.status_code == 200 and restored.json()["notes"] == "بدون تخفیف"


def test_pdf_download(api, customer, products):
    quote = api.post("/api/v1/quotes", _body(customer, products)).json()
    response = api.get(f"/api/v1/quotes/{quote['id']}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="{quote["number"]}.pdf"' in response["Content-Disposition"]
    text = extract_text(io.BytesIO(response.content))
    assert "۱۴۰۶/۰۱/۱۵" in text and "۱۰٬۸۴۰٬۵۰۰" in text
    issued = Quote.objects.get(pk=quote["id"]).issued_on
    assert to_persian_digits(format_date(issued)) in text


def test_send_accept_and_reject(api, agent, customer, products, smtp_server):
    deal = deals.create_deal(agent, {"title": "فروش", "person": customer.pk})
    quote = api.post("/api/v1/quotes", _body(customer, products, deal=deal.pk)).json()
    sent = api.post(
        f"/api/v1/quotes/{quote['id']}/send",
        {"message": "پیش‌فاکتور پیوست است."},
        headers={"Idempotency-Key": "send-1"},
    )
    assert sent.status_code == 200, sent.content
    assert sent.json()["to"] == "maryam@example.com"
    assert sent.json()["quote"]["status"] == "sent"
    replay = api.post(
        f"/api/v1/quotes/{quote['id']}/send",
        {"message": "پیش‌فاکتور پیوست است."},
        headers={"Idempotency-Key": "send-1"},
    )
    assert replay.json() == sent.json()
    assert OutboxMessage.objects.count() == 1
    assert dispatch_due() == 1 and len(smtp_server.envelopes) == 1

    refused = api.patch(f"/api/v1/quotes/{quote['id']}", {"notes": "تغییر"})
    assert refused.status_code == 422 and "status" in refused.json()["error"]["fields"]

    accepted = api.post(f"/api/v1/quotes/{quote['id']}/accept")
    assert accepted.status_code == 200, accepted.content
    order = Order.objects.get(pk=accepted.json()["order"])
    assert (order.quote_id, order.total) == (quote["id"], quote["total"])
    assert accepted.json()["quote"]["order"] == order.pk
    assert Deal.objects.get(pk=deal.pk).status == "won"
    again = api.post(f"/api/v1/quotes/{quote['id']}/reject")
    assert again.status_code == 422
    assert Quote.objects.get(pk=quote["id"]).status == "accepted"


def test_send_to_a_typed_address_and_bad_ones(api, customer, products):
    quote = api.post("/api/v1/quotes", _body(customer, products)).json()
    for to in ("nobody", XSS, "a" * 300 + "@example.com"):
        bad = api.post(f"/api/v1/quotes/{quote['id']}/send", {"to": to})
        assert bad.status_code == 422 and "to" in bad.json()["error"]["fields"]
    assert not OutboxMessage.objects.exists()
    ok = api.post(f"/api/v1/quotes/{quote['id']}/send", {"to": "Boss@Example.com"})
    assert ok.json()["to"] == "boss@example.com"


def test_another_teams_quote_does_not_exist(api_as, agent, other_agent, customer, products):
    quote = api_as(agent).post("/api/v1/quotes", _body(customer, products)).json()
    stranger = api_as(other_agent)
    assert stranger.get("/api/v1/quotes").json()["items"] == []
    for call in (
        lambda: stranger.get(f"/api/v1/quotes/{quote['id']}"),
        lambda: stranger.get(f"/api/v1/quotes/{quote['id']}/pdf"),
        lambda: stranger.patch(f"/api/v1/quotes/{quote['id']}", {"notes": "x"}),
        lambda: stranger.delete(f"/api/v1/quotes/{quote['id']}"),
        lambda: stranger.post(f"/api/v1/quotes/{quote['id']}/send", {"to": "a@b.ir"}),
        lambda: stranger.post(f"/api/v1/quotes/{quote['id']}/accept"),
        lambda: stranger.post(f"/api/v1/quotes/{quote['id']}/reject"),
        lambda: stranger.post(f"/api/v1/quotes/{quote['id']}/restore"),
    ):
        assert call().status_code == 404
    # Nor can another team's customer be named on a quote.
    named = stranger.post("/api/v1/quotes", _body(customer, products))
    assert named.status_code == 422 and "person" in named.json()["error"]["fields"]
    assert Quote.objects.get().status == "draft"


def test_viewers_read_but_never_write(api_as, agent, viewer, customer, products):
    quote = api_as(agent).post("/api/v1/quotes", _body(customer, products)).json()
    api = api_as(viewer)
    assert api.get(f"/api/v1/quotes/{quote['id']}").status_code == 200
    assert api.post("/api/v1/quotes", _body(customer, products)).status_code == 403
    for path in ("send", "accept", "reject"):
        assert api.post(f"/api/v1/quotes/{quote['id']}/{path}", {}).status_code == 403
    assert api.patch(f"/api/v1/quotes/{quote['id']}", {"notes": "x"}).status_code == 403
    assert api.delete(f"/api/v1/quotes/{quote['id']}").status_code == 403
    assert Quote.objects.get().version == 1


def test_bad_input(api, customer, products):
    response = api.post(
        "/api/v1/quotes",
        {
            "person": customer.pk,
            "lines": [
                {"description": "x", "quantity": "دو", "unit_price": "10"},
                {"product": products["laptop"].pk, "quantity": "1", "discount_amount": "۹۹۹۹۹۹۹۹"},
            ],
            "valid_until": "1406/02/40",
        },
    )
    assert response.status_code == 422
    # Each bad field is named; the pricing check waits until every field is readable.
    assert set(response.json()["error"]["fields"]) == {"lines.0.quantity", "valid_until"}
    too_much = api.post(
        "/api/v1/quotes",
        {
            "person": customer.pk,
            "lines": [
                {"product": products["laptop"].pk, "quantity": "1", "discount_amount": "6000000"}
            ],
        },
    )
    assert too_much.status_code == 422
    assert "lines.0.discount_amount" in too_much.json()["error"]["fields"]
    assert api.post("/api/v1/quotes", {"person": customer.pk, "lines": {"a": 1}}).status_code == 422
    assert api.get("/api/v1/quotes?status=lost").status_code == 422
    assert api.get("/api/v1/quotes/۹۹۹۹۹").status_code == 404
    assert not Quote.all_objects.exists()
