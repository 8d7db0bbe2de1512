"""The order pages without a browser: forms in Toman, errors, escaping, permissions."""

import pytest
from django.utils.translation import override

from peyvand.core.errors import StaleVersionError
from peyvand.core.persian import to_persian_digits
from peyvand.sales import deals, orders, quotes
from peyvand.sales.models import Order, Payment

from .orders_fixtures import XSS, delivered_order, make_product, new_order


@pytest.fixture
def mug(manager):
    return make_product(manager, code="MUG-01", price=450_000)


@pytest.fixture
def customer(make_person, agent):
    return make_person(agent, first_name="سارا", last_name="نادری")


@pytest.fixture
def web(web_as, agent):
    return web_as(agent)


def form_body(customer, **extra):
    return {
        "person": customer.pk,
        "line_product": ["", ""],
        "line_description": ["جعبه کادو", ""],
        "line_quantity": ["۲", "1"],
        "line_unit": ["", ""],
        "line_unit_price": ["۱۲٬۵۰۰", ""],  # Toman
        "line_discount_percent": ["", ""],
        "line_discount_amount": ["", ""],
        "line_tax_rate_percent": ["0", ""],
        "ordered_at": "۱۴۰۵/۰۸/۱۵",
        "notes": XSS,
        **extra,
    }


def test_an_order_is_entered_in_toman_and_shown_in_persian(web, agent, customer):
    response = web.post("/sales/orders/new/", form_body(customer))
    assert response.status_code == 302, response.content.decode()
    order = Order.objects.get()
    assert response["Location"] == f"/sales/orders/{order.pk}/"
    line = order.lines.get()  # the blank second row is dropped
    assert (line.description, line.unit_price, order.total) == ("جعبه کادو", 125_000, 250_000)
    page = web.get(response["Location"]).content.decode()
    assert "۲۵,۰۰۰ تومان" in page
    assert "۱۴۰۵/۰۸/۱۵" in page
    assert XSS not in page and "&lt;script&gt;" in page


def test_form_errors_keep_what_was_typed(web, customer):
    body = form_body(
        customer, line_quantity=["صفر", ""], line_unit_price=["-3", ""], ordered_at="x"
    )
    response = web.post("/sales/orders/new/", body)
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="صفر"' in page and 'id="form-errors"' in page
    assert page.count("invalid-feedback") >= 3
    assert not Order.all_objects.exists()


def test_viewers_cannot_open_the_form_and_others_get_404(
    web_as, viewer, other_agent, agent, customer, mug
):
    response = web_as(viewer).post("/sales/orders/new/", form_body(customer))
    assert response.status_code == 302 and not Order.all_objects.exists()
    order = new_order(agent, customer, [{"product": mug.pk, "quantity": 1}])
    outsider = web_as(other_agent)
    for url in (
        f"/sales/orders/{order.pk}/",
        f"/sales/orders/{order.pk}/edit/",
    ):
        assert outsider.get(url).status_code == 404
    for url in (
        f"/sales/orders/{order.pk}/status/",
        f"/sales/orders/{order.pk}/payments/",
        f"/sales/orders/{order.pk}/returns/",
        f"/sales/orders/{order.pk}/delete/",
    ):
        assert (
            outsider.post(url, {"status": "confirmed", "method": "cash", "amount": 1}).status_code
            == 404
        )
    listed = outsider.get("/sales/orders/").content.decode()
    assert order.number not in listed
    order.refresh_from_db()
    assert (order.version, order.status) == (1, "new")


def test_the_list_filters_and_reports_bad_filters(web, agent, customer, mug):
    order = new_order(
        agent, customer, [{"product": mug.pk, "quantity": 1}], ordered_at="1405/08/10"
    )
    page = web.get("/sales/orders/?month=۱۴۰۵/۰۸&q=نادری").content.decode()
    assert f"/sales/orders/{order.pk}/" in page
    assert (
        f"/sales/orders/{order.pk}/" not in web.get("/sales/orders/?month=1405/07").content.decode()
    )
    bad = web.get("/sales/orders/?month=<script>").content.decode()
    assert (
        'id="filter-errors"' in bad
        and "<script>" not in bad.split('id="filters"')[1].split("</form>")[1]
    )


def test_payments_status_and_returns_from_the_order_page(web, agent, customer, mug):
    order = new_order(agent, customer, [{"product": mug.pk, "quantity": 2}])  # 99,000 Toman
    url = f"/sales/orders/{order.pk}/"
    cheque = {
        "method": "cheque",
        "amount": "۵۰٬۰۰۰",
        "bank": "ملت",
        "reference": "۱۲۳۴",
        "due_on": "۱۴۰۵/۱۰/۱۵",
    }
    assert web.post(f"{url}payments/", cheque).status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount, payment.status, payment.reference) == (500_000, "pending", "1234")
    too_much = web.post(f"{url}payments/", {"method": "cash", "amount": "۵۰٬۰۰۰"})
    assert too_much.status_code == 422
    assert "۴۹,۰۰۰ تومان" in too_much.content.decode()  # what is left to pay
    assert (
        web.post(f"/sales/orders/payments/{payment.pk}/status/", {"status": "received"}).status_code
        == 302
    )
    assert Order.objects.get().paid_total == 500_000

    stale = web.post(f"{url}status/", {"status": "delivered", "version": "1"})
    assert stale.status_code == 409
    with override("fa"):
        assert str(StaleVersionError.message) in stale.content.decode()
    current = Order.objects.get().version
    assert web.post(f"{url}status/", {"status": "delivered", "version": current}).status_code == 302
    line = order.lines.get()
    returned = web.post(f"{url}returns/", {"line": line.pk, "quantity": "۱", "reason": XSS})
    assert returned.status_code == 302
    order = Order.objects.get()
    assert order.refunded_total == 495_000
    page = web.get(url).content.decode()
    assert XSS not in page and "&lt;script&gt;" in page
    assert 'id="edit-link"' not in page  # a delivered order's lines are settled


def test_a_new_order_is_edited_with_its_version(web, agent, customer, mug):
    order = new_order(agent, customer, [{"product": mug.pk, "quantity": 1}])
    form = web.get(f"/sales/orders/{order.pk}/edit/").content.decode()
    assert 'name="version" value="1"' in form and "45000" in form  # 450,000 Rials in Toman
    body = form_body(customer, version="1")
    assert web.post(f"/sales/orders/{order.pk}/edit/", body).status_code == 302
    assert web.post(f"/sales/orders/{order.pk}/edit/", body).status_code == 409
    orders.set_status(agent, order, "confirmed")
    assert web.get(f"/sales/orders/{order.pk}/edit/").status_code == 302


def test_deleting_from_the_page(web, web_as, agent, make_user, team_a, customer, mug):
    order = delivered_order(agent, customer, [{"product": mug.pk, "quantity": 1}])
    teammate = web_as(make_user("agent", [team_a]))
    assert teammate.post(f"/sales/orders/{order.pk}/delete/").status_code == 302
    assert Order.objects.filter(pk=order.pk).exists()  # agents trash only their own
    assert web.post(f"/sales/orders/{order.pk}/delete/").status_code == 302
    assert not Order.objects.filter(pk=order.pk).exists()


def test_an_order_from_a_quote_links_its_quote_and_deal(web, agent, customer, mug):
    deal = deals.create_deal(
        agent, {"title": "خرید لیوان", "person": customer.pk, "amount": 900_000}
    )
    quote = quotes.create_quote(
        agent,
        {"deal": deal.pk, "person": customer.pk, "lines": [{"product": mug.pk, "quantity": 2}]},
    )
    order = quotes.accept_quote(agent, quote)
    page = web.get(f"/sales/orders/{order.pk}/").content.decode()
    assert f'href="/sales/quotes/{quote.pk}/"' in page
    assert f'href="/sales/deals/{deal.pk}/"' in page
    assert to_persian_digits(order.number) in page


def test_the_customers_timeline_tells_the_orders_story(web, agent, customer, mug):
    order = new_order(agent, customer, [{"product": mug.pk, "quantity": 1}])
    orders.add_payment(agent, order, {"method": "cash", "amount": 100_000})
    orders.set_status(agent, order, "delivered")
    with override("fa"):
        page = web.get(f"/customers/people/{customer.pk}/").content.decode()
    assert order.number in page
    assert "cash 100000 received" in page
