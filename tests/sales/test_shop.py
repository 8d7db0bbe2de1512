"""Acceptance 2: an online shop pushes orders through POST /api/v1/orders/shop; the same
shop order id exists once, however often (and however concurrently) it is pushed."""

import threading
import time

import pytest
from django.db import OperationalError, connection

from peyvand.customers.models import Person
from peyvand.sales import orders
from peyvand.sales.models import Order, Payment

from .orders_fixtures import XSS, make_product

URL = "/api/v1/orders/shop"


@pytest.fixture
def shop(api_as, agent):
    """The shop's API user is an agent of team A."""
    return api_as(agent)


@pytest.fixture
def catalogue(manager):
    return {
        "mug": make_product(manager, code="MUG-01", price=450_000),
        "tea": make_product(manager, code="TEA-۲", price=1_200_000),
    }


def push_body(shop_order_id="WC-1001", **extra):
    return {
        "shop_order_id": shop_order_id,
        "ordered_at": "2026-11-20T18:45:00+03:30",
        "customer": {
            "first_name": "نگار",
            "last_name": "موسوی",
            "phone": "۰۹۱۲ ۷۶۵ ۴۳۲۱",
            "email": "Negar@Example.com",
            "address": "تهران، خیابان ولیعصر",
        },
        "lines": [
            {"sku": "MUG-01", "quantity": 2, "unit_price": 450_000, "discount": 50_000},
            {"sku": "TEA-2", "quantity": "1", "unit_price": "1200000"},
            {
                "description": "کارت هدیه",
                "quantity": 1,
                "unit_price": 100_000,
                "tax_rate_percent": 0,
            },
        ],
        "shipping": 300_000,
        "notes": "زنگ نزنید",
        "payments": [{"method": "card", "amount": 2_000_000, "reference": "ZP-778899"}],
        **extra,
    }


def test_a_push_creates_the_order_its_customer_and_its_payments(shop, agent, catalogue):
    response = shop.post(URL, push_body())
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(pk=body["id"])
    assert response["Location"] == f"/api/v1/orders/{order.pk}"
    assert (order.origin, order.shop_order_id, order.owner, order.team_id) == (
        "shop",
        "WC-1001",
        agent,
        agent.team_ids[0],
    )
    # 2 × 450,000 − 50,000 = 850,000 (+85,000 VAT); 1,200,000 (+120,000); 100,000 tax-free;
    # shipping 300,000 as a tax-free line.
    assert [line["total"] for line in body["lines"]] == [935_000, 1_320_000, 100_000, 300_000]
    assert body["total"] == 2_655_000
    assert (body["paid_total"], body["balance"]) == (2_000_000, 655_000)
    assert body["lines"][1]["product"] == catalogue["tea"].pk
    assert body["ordered_at"].startswith("2026-11-20T15:15:00")
    person = order.person
    assert (person.first_name, person.last_name, person.source) == ("نگار", "موسوی", "website")
    assert [p.number for p in person.phones.all()] == ["+989127654321"]
    assert [e.address for e in person.emails.all()] == ["negar@example.com"]
    assert person.addresses.get().line == "تهران، خیابان ولیعصر"
    assert person.team_id == agent.team_ids[0]
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.status, payment.reference) == ("card", "received", "ZP-778899")
    assert payment.received_on.isoformat() == "2026-11-20"


def test_a_second_push_returns_the_same_order_and_changes_nothing(shop, catalogue):
    first = shop.post(URL, push_body())
    assert first.status_code == 201
    again = shop.post(URL, push_body(notes="تغییر", lines=[{"sku": "MUG-01", "quantity": 9}]))
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert (Order.all_objects.count(), Person.all_objects.count(), Payment.objects.count()) == (
        1,
        1,
        1,
    )
    # Persian digits in the shop's id are the same id.
    assert shop.post(URL, push_body(shop_order_id="WC-۱۰۰۱")).status_code == 200
    assert Order.all_objects.count() == 1


def test_the_customer_is_matched_by_phone_email_or_national_id(
    shop, agent, other_agent, catalogue, make_person
):
    by_phone = make_person(agent, last_name="موسوی", phones=["+98 912 765 4321"])
    by_email = make_person(agent, last_name="یزدانی", emails=["sara@example.ir"])
    by_id = make_person(agent, last_name="رحیمی", national_id="0012345679")
    make_person(other_agent, last_name="غریبه", phones=["09350000000"])
    pushes = {
        "A-1": ({"last_name": "x", "phone": "09127654321"}, by_phone),
        "A-2": ({"last_name": "x", "email": "SARA@example.ir"}, by_email),
        "A-3": ({"last_name": "x", "email": "new@example.ir", "national_id": "۰۰۱۲۳۴۵۶۷۹"}, by_id),
    }
    for shop_order_id, (customer, person) in pushes.items():
        body = push_body(shop_order_id, customer=customer, payments=[])
        response = shop.post(URL, body)
        assert response.status_code == 201, response.content
        assert response.json()["person"] == person.pk
    # Another team's customer with the phone is not theirs to match: a new person is made.
    response = shop.post(
        URL, push_body("A-4", customer={"last_name": "تازه", "phone": "09350000000"}, payments=[])
    )
    made = Person.objects.get(pk=response.json()["person"])
    assert (made.last_name, made.team_id) == ("تازه", shop.user.team_ids[0])
    assert Person.objects.count() == 5


def test_an_unknown_sku_is_refused_naming_the_line(shop, catalogue):
    body = push_body(lines=[{"sku": "MUG-01", "quantity": 1}, {"sku": "NOPE-9", "quantity": 1}])
    response = shop.post(URL, body)
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["lines.1.sku"]
    assert "NOPE-9" in fields["lines.1.sku"][0]
    assert not Order.all_objects.exists() and not Person.all_objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"shop_order_id": ""}, "shop_order_id"),
        ({"shop_order_id": "x" * 101}, "shop_order_id"),
        ({"customer": {"first_name": "بی‌نام"}}, "customer.last_name"),
        ({"customer": {"last_name": "x", "phone": "12"}}, "customer.phone"),
        ({"customer": {"last_name": "x"}}, "customer.phone"),
        ({"customer": {"last_name": "x", "email": "not-mail"}}, "customer.email"),
        (
            {"customer": {"last_name": "x", "phone": "09121111111", "national_id": "1"}},
            "customer.national_id",
        ),
        ({"lines": []}, "lines"),
        ({"lines": [{"description": "x", "quantity": "0", "unit_price": 1}]}, "lines.0.quantity"),
        (
            {"lines": [{"sku": "MUG-01", "quantity": 1, "discount": 10**9}]},
            "lines.0.discount_amount",
        ),
        ({"shipping": "-1"}, "shipping"),
        ({"discount": 10**10}, "discount"),
        ({"ordered_at": "دیروز"}, "ordered_at"),
        ({"payments": [{"method": "cheque", "amount": 1}]}, "payments.0.method"),
        ({"payments": [{"method": "card", "amount": 0}]}, "payments.0.amount"),
        ({"payments": [{"method": "card", "amount": 9_000_000}]}, "payments"),
    ],
)
def test_bad_pushes_are_422_and_save_nothing(shop, catalogue, body, field):
    response = shop.post(URL, {**push_body(), **body})
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not Order.all_objects.exists() and not Person.all_objects.exists()


def test_garbage_json_types_are_422(shop, catalogue):
    assert shop.post(URL, {"lines": "many"}).status_code == 422
    assert shop.post(URL, {"customer": ["x"], "shop_order_id": "Z"}).status_code == 422
    assert not Order.all_objects.exists()


def test_text_is_kept_as_text(shop, catalogue):
    response = shop.post(URL, push_body(notes=XSS))
    assert response.status_code == 201
    assert response.json()["notes"] == XSS


def test_viewers_cannot_push_and_other_teams_cannot_see(
    api_as, viewer, other_agent, shop, catalogue
):
    assert api_as(viewer).post(URL, push_body()).status_code == 403
    created = shop.post(URL, push_body()).json()
    other = api_as(other_agent)
    assert other.get(f"/api/v1/orders/{created['id']}").status_code == 404
    # Another team's shop user cannot reach the order through its id either.
    response = other.post(URL, push_body())
    assert response.status_code == 422
    assert "shop_order_id" in response.json()["error"]["fields"]
    assert Order.all_objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_pushes_make_one_order_and_one_customer(agent, manager):
    make_product(manager, code="MUG-01", price=450_000)
    make_product(manager, code="TEA-2", price=1_200_000)
    start = threading.Barrier(2)
    results, failures = [], []

    def push_as_a_shop_would():
        # SQLite's in-memory test database cannot make a writer wait (its shared cache
        # answers "table is locked" at once, where a real file waits up to its timeout),
        # so there a locked push is sent again, as a shop retries. PostgreSQL runs the
        # race as it comes: the unique shop order id decides.
        for _attempt in range(100):
            try:
                return orders.push_shop_order(agent, push_body("RACE-1"))
            except OperationalError as exc:
                if connection.vendor != "sqlite" or "locked" not in str(exc):
                    raise
                time.sleep(0.02)
        raise AssertionError("the database stayed locked")

    def push():
        try:
            start.wait()
            results.append(push_as_a_shop_would())
        except Exception as exc:  # reported below, with the other thread's result
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(created for _order, created in results) == [False, True]
    assert len({order.pk for order, _created in results}) == 1
    assert Order.all_objects.count() == 1
    assert Person.all_objects.count() == 1
    assert Payment.objects.count() == 1
