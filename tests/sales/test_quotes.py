"""Quotes through the service: pricing, numbering, deals, statuses, e-mail, PDF, visibility."""

import datetime as dt
import io
from email import message_from_bytes

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from pdfminer.high_level import extract_text

from peyvand.core.errors import StaleVersionError
from peyvand.core.jalali import format_date
from peyvand.core.models import AuditEvent, OutboxMessage
from peyvand.core.outbox import dispatch_due
from peyvand.core.persian import to_persian_digits
from peyvand.sales import deals, quotes
from peyvand.sales.models import Deal, Order, Quote, SellerProfile

pytest_plugins = ["tests.sales.quotes_fixtures"]

XSS = "<script>alert(1)</script>"


@pytest.fixture
def customer(agent, make_person):
    return make_person(
        agent, first_name="علی", last_name="کریمی", emails=["ali@example.com"], national_id=""
    )


def _lines(products):
    return [
        {"product": products["laptop"].pk, "quantity": "2"},
        {
            "description": "نصب و راه‌اندازی",
            "quantity": "1.5",
            "unit_price": "1000000",
            "discount_percent": "10",
        },
    ]


def test_create_prices_every_line_exactly(agent, customer, products):
    quote = quotes.create_quote(
        agent, {"person": customer.pk, "lines": _lines(products), "discount": "۱۰۰٬۰۰۰"}
    )
    lines = list(quote.lines.all())
    # Laptop: 2 × 5,000,000 from the catalogue, taxed by its rule (VAT 10%).
    assert (lines[0].description, lines[0].unit_price, lines[0].tax_rate_bp) == (
        "لپ‌تاپ",
        5_000_000,
        1000,
    )
    # Installation: 1.5 × 1,000,000 = 1,500,000 − 10% = 1,350,000; default VAT for free text.
    assert (lines[1].gross, lines[1].tax_rate_bp) == (1_500_000, 1000)
    # The 100,000 discount is shared 10,000,000 : 1,350,000 → 88,106 + 11,894.
    assert [line.net for line in lines] == [9_911_894, 1_338_106]
    assert [line.tax for line in lines] == [991_189, 133_811]
    assert (quote.subtotal, quote.discount_total, quote.tax_total, quote.total) == (
        11_500_000,
        250_000,
        1_125_000,
        12_375_000,
    )
    assert quote.total == sum(line.total for line in lines)
    assert quote.status == Quote.Status.DRAFT and quote.version == 1
    assert quote.valid_until == timezone.localdate() + dt.timedelta(days=14)
    year = format_date(quote.issued_on)[:4]
    assert quote.number == f"PF-{year}-00001"
    assert (quote.owner, quote.team_id) == (agent, agent.team_ids[0])
    event = AuditEvent.objects.get(content_type__model="quote", action="create")
    assert event.subject_id == customer.pk and "لپ‌تاپ" in event.changes["lines"][1]


def test_numbers_follow_one_another(agent, customer, make_quote):
    first, second = make_quote(agent, person=customer.pk), make_quote(agent, person=customer.pk)
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1


def test_from_a_deal_takes_its_customer_products_and_team(
    manager, agent, customer, products, make_user, team_a, team_b
):
    deal = deals.create_deal(
        agent,
        {
            "title": "تجهیز دفتر",
            "person": customer.pk,
            "products": [
                {"product": products["laptop"].pk, "quantity": "3", "unit_price": "4500000"}
            ],
        },
    )
    quote = quotes.create_quote(agent, {"deal": deal.pk})
    line = quote.lines.get()
    assert (quote.deal, quote.person, quote.team_id) == (deal, customer, deal.team_id)
    assert (line.product, line.quantity, line.unit_price) == (products["laptop"], 3, 4_500_000)
    assert quote.total == 14_850_000  # 13,500,000 + 10% VAT

    initial = quotes.new_quote_initial(agent, {"deal": str(deal.pk)})
    assert (initial["person"], initial["deal"]) == (customer, deal)
    assert initial["lines"][0]["unit_price"] == 4_500_000


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"description": "x", "quantity": "abc", "unit_price": "10"}, "lines.0.quantity"),
        ({"description": "x", "quantity": "0", "unit_price": "10"}, "lines.0.quantity"),
        ({"description": "x", "quantity": "1.2345", "unit_price": "10"}, "lines.0.quantity"),
        ({"description": "x", "quantity": "1", "unit_price": "-5"}, "lines.0.unit_price"),
        ({"description": "x", "quantity": "1", "unit_price": "12.5"}, "lines.0.unit_price"),
        ({"description": "x", "quantity": "1"}, "lines.0.unit_price"),
        ({"quantity": "1", "unit_price": "10"}, "lines.0.description"),
        ({"description": "x" * 301, "quantity": "1", "unit_price": "10"}, "lines.0.description"),
        ({"product": 999999, "quantity": "1"}, "lines.0.product"),
        ({"description": "x", "quantity": "1", "unit_price": "10", "unit": "ton"}, "lines.0.unit"),
        (
            {"description": "x", "quantity": "1", "unit_price": "10", "discount_percent": "101"},
            "lines.0.discount_percent",
        ),
        (
            {"description": "x", "quantity": "1", "unit_price": "10", "discount_amount": "11"},
            "lines.0.discount_amount",
        ),
        (
            {
                "description": "x",
                "quantity": "1",
                "unit_price": "100",
                "discount_amount": "5",
                "discount_percent": "5",
            },
            "lines.0.discount_amount",
        ),
        (
            {"description": "x", "quantity": "1", "unit_price": "10", "tax_rate_percent": "x"},
            "lines.0.tax_rate_percent",
        ),
        (
            {"description": "x", "quantity": "999999999", "unit_price": str(10**15)},
            "lines.0.quantity",
        ),
    ],
)
def test_bad_lines_are_refused_by_field(agent, customer, products, line, field):
    with pytest.raises(ValidationError) as caught:
        quotes.create_quote(agent, {"person": customer.pk, "lines": [line]})
    assert field in caught.value.message_dict
    assert not Quote.all_objects.exists()


def test_bad_documents_are_refused_by_field(agent, other_agent, customer, products, make_person):
    stranger = make_person(other_agent, last_name="غریبه")
    line = {"description": "خدمات", "quantity": "1", "unit_price": "1000"}
    cases = [
        ({"person": customer.pk, "lines": [line], "discount": "1001"}, "discount"),
        ({"person": customer.pk, "lines": [line], "discount": "-1"}, "discount"),
        ({"person": customer.pk, "lines": []}, "lines"),
        ({"person": customer.pk, "lines": "چند خط"}, "lines"),
        ({"lines": [line]}, "person"),
        ({"person": stranger.pk, "lines": [line]}, "person"),  # another team's: invisible
        ({"person": customer.pk, "lines": [line], "valid_until": "1400/13/01"}, "valid_until"),
        ({"person": customer.pk, "lines": [line], "valid_until": "2000-01-01"}, "valid_until"),
        ({"person": customer.pk, "lines": [line], "notes": "x" * 5001}, "notes"),
        ({"deal": 424242, "lines": [line]}, "deal"),
    ]
    for data, field in cases:
        with pytest.raises(ValidationError) as caught:
            quotes.create_quote(agent, data)
        assert field in caught.value.message_dict, (data, caught.value.message_dict)
    assert not Quote.all_objects.exists()


def test_persian_digits_and_jalali_dates_are_read(agent, customer):
    quote = quotes.create_quote(
        agent,
        {
            "person": str(customer.pk),
            "lines": [{"description": "مشاوره", "quantity": "۲٫۵", "unit_price": "۴۰۰٬۰۰۰"}],
            "valid_until": "۱۴۰۶/۰۱/۱۵",
            "notes": XSS,
        },
    )
    line = quote.lines.get()
    assert (line.quantity, line.gross) == (2.5, 1_000_000)
    assert format_date(quote.valid_until) == "1406/01/15"
    assert quote.notes == XSS  # stored as typed; every page escapes it


def test_only_a_draft_is_edited_and_stale_edits_are_refused(agent, customer, make_quote):
    quote = make_quote(agent, person=customer.pk)
    edited = quotes.update_quote(
        agent,
        quote,
        {"lines": [{"description": "خدمات", "quantity": "1", "unit_price": "2000"}]},
        expected_version=1,
    )
    assert (edited.version, edited.subtotal, edited.total) == (2, 2000, 2200)
    with pytest.raises(StaleVersionError):
        quotes.update_quote(agent, quote, {"notes": "دیر"}, expected_version=1)
    quotes.update_quote(agent, quote, {"discount": "200"}, expected_version=2)
    quote.refresh_from_db()
    assert (quote.discount_total, quote.total) == (200, 1980)

    quotes.reject_quote(agent, quote)
    with pytest.raises(ValidationError) as caught:
        quotes.update_quote(agent, quote, {"notes": "تغییر"})
    assert "status" in caught.value.message_dict
    quote.refresh_from_db()
    assert quote.notes == ""


def test_send_queues_the_pdf_and_the_dispatcher_delivers_it_once(
    agent, customer, make_quote, smtp_server, settings
):
    quote = make_quote(agent, person=customer.pk)
    message = quotes.send_quote(agent, quote, {"message": "با سلام، پیش‌فاکتور پیوست است."})
    quote.refresh_from_db()
    assert (quote.status, quote.version) == (Quote.Status.SENT, 2)
    assert quote.sent_at is not None
    assert (message.recipient, message.status) == ("ali@example.com", "pending")
    attachment = message.attachments[0]
    assert attachment["name"] == f"{quote.number}.pdf"
    assert (settings.MEDIA_ROOT / attachment["path"]).read_bytes().startswith(b"%PDF")

    assert dispatch_due() == 1
    assert dispatch_due() == 0
    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.rcpt_tos == ["ali@example.com"]
    mail = message_from_bytes(envelope.content)
    parts = {part.get_filename(): part for part in mail.walk() if part.get_filename()}
    assert parts[f"{quote.number}.pdf"].get_payload(decode=True).startswith(b"%PDF")
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.provider_id == mail["Message-ID"]


def test_send_refuses_bad_recipients_and_closed_quotes(agent, make_person, make_quote):
    no_email = make_person(agent, last_name="بی‌نشانی")
    quote = make_quote(agent, person=no_email.pk)
    for data in ({}, {"to": "not-an-address"}, {"to": XSS}):
        with pytest.raises(ValidationError) as caught:
            quotes.send_quote(agent, quote, data)
        assert "to" in caught.value.message_dict
    assert not OutboxMessage.objects.exists()
    quotes.reject_quote(agent, quote)
    with pytest.raises(ValidationError):
        quotes.send_quote(agent, quote, {"to": "buyer@example.com"})
    assert not OutboxMessage.objects.exists()


def test_accept_makes_the_order_and_wins_the_deal(agent, customer, products):
    deal = deals.create_deal(agent, {"title": "فروش لپ‌تاپ", "person": customer.pk})
    quote = quotes.create_quote(agent, {"deal": deal.pk, "lines": _lines(products)})
    order = quotes.accept_quote(agent, quote, expected_version=1)
    quote.refresh_from_db()
    deal.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED and quote.decided_at is not None
    assert deal.status == Deal.Status.WON
    assert (order.quote, order.total, order.person) == (quote, quote.total, customer)
    assert list(order.lines.values_list("total", flat=True)) == list(
        quote.lines.values_list("total", flat=True)
    )
    with pytest.raises(ValidationError):
        quotes.accept_quote(agent, quote)
    assert Order.objects.filter(quote=quote).count() == 1


def test_reject_and_accept_need_an_open_quote(agent, customer, make_quote):
    quote = make_quote(agent, person=customer.pk)
    quotes.reject_quote(agent, quote)
    with pytest.raises(ValidationError) as caught:
        quotes.accept_quote(agent, quote)
    assert "status" in caught.value.message_dict
    assert not Order.objects.exists()


def test_a_quote_past_its_validity_expires(agent, customer, make_quote):
    quote = make_quote(agent, person=customer.pk)
    fresh = make_quote(agent, person=customer.pk)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - dt.timedelta(1))
    # Read first: the detail never shows an open quote after its day.
    assert quotes.quote_detail(agent, quote.pk).status == Quote.Status.EXPIRED
    with pytest.raises(ValidationError):
        quotes.accept_quote(agent, quote)
    Quote.objects.filter(pk=fresh.pk).update(valid_until=timezone.localdate() - dt.timedelta(1))
    assert quotes.expire_due_quotes() == 1
    assert quotes.expire_due_quotes() == 0
    fresh.refresh_from_db()
    assert fresh.status == Quote.Status.EXPIRED
    assert AuditEvent.objects.filter(
        content_type__model="quote", object_id=fresh.pk, actor=None
    ).exists()


def test_visibility_and_roles(agent, other_agent, viewer, make_user, team_a, customer, make_quote):
    quote = make_quote(agent, person=customer.pk)
    assert list(quotes.visible_quotes(viewer)) == [quote]
    assert not quotes.visible_quotes(other_agent).exists()
    with pytest.raises(Http404):
        quotes.quote_detail(other_agent, quote.pk)
    with pytest.raises(PermissionDenied):
        quotes.create_quote(viewer, {"person": customer.pk})
    for operation in (quotes.accept_quote, quotes.reject_quote, quotes.trash_quote):
        with pytest.raises(PermissionDenied):
            operation(viewer, quote)
    teammate = make_user("agent", [team_a])
    with pytest.raises(PermissionDenied):
        quotes.trash_quote(teammate, quote)  # agents trash only their own
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT and quote.deleted_at is None

    quotes.trash_quote(agent, quote)
    assert not quotes.visible_quotes(agent).exists()
    quotes.restore_quote(agent, quotes.trashed_quotes(agent).get())
    assert quotes.visible_quotes(agent).get() == quote


def test_pdf_has_jalali_dates_persian_totals_and_both_parties(
    agent, make_organization, customer, products
):
    SellerProfile.objects.create(
        name="شرکت پیوند",
        national_id="10101010103",
        economic_code="411111111111",
        registration_number="12345",
        address="تهران، خیابان آزادی",
        phone="02188776655",
    )
    buyer = make_organization(agent, name="شرکت خریدار", national_id="14003020013")
    quote = quotes.create_quote(
        agent,
        {
            "organization": buyer.pk,
            "person": customer.pk,
            "lines": _lines(products),
            "discount": "100000",
            "notes": "تحویل یک‌هفته‌ای",
        },
    )
    text = extract_text(io.BytesIO(quotes.quote_pdf(quote)))
    assert to_persian_digits(format_date(quote.issued_on)) in text
    assert to_persian_digits(format_date(quote.valid_until)) in text
    assert "۱۲٬۳۷۵٬۰۰۰" in text  # the total, in Rials
    assert "۱۱٬۵۰۰٬۰۰۰" in text  # the subtotal
    for code in ("۱۰۱۰۱۰۱۰۱۰۳", "۴۱۱۱۱۱۱۱۱۱۱۱", "۱۴۰۰۳۰۲۰۰۱۳"):
        assert code in text
    # pdfminer gives right-to-left words in visual (reversed) order.
    for word in ("پیوند", "خریدار", "کریمی"):
        assert word[::-1] in text
    # The total in words, as persiantools spells it, reversed the same way.
    assert "دوازده میلیون و سیصد و هفتاد و پنج هزار"[::-1] in text
