"""Orders, payments and returns through /api/v1: round trips, versions, lists, permissions."""

import pytest

from peyvand.sales import orders
from peyvand.sales.models import Order, Payment

from .orders_fixtures import XSS, delivered_order, make_product, new_order


@pytest.fixture
def api(api_as, agent):
    return api_as(agent)


@pytest.fixture
def mug(manager):
    return make_product(manager, code="MUG-01", price=450_000)


@pytest.fixture
def customer(make_person, agent):
    return make_person(agent, first_name="سارا", last_name="نادری", phones=["09121112233"])


def test_order_round_trip(api, agent, customer, mug):
    created = api.post(
        "/api/v1/orders",
        {
            "person": customer.pk,
            "lines": [
                {"product": mug.pk, "quantity": "۳", "discount_percent": "12.5"},
                {
                    "description": "بسته‌بندی",
                    "quantity": 1,
                    "unit_price": "۲۰۰۰۰",
                    "tax_rate_percent": 0,
                },
            ],
            "discount": 1000,
            "ordered_at": "1405/08/01",
            "notes": XSS,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert created["ETag"] == '"1"'
    assert created["Location"] == f"/api/v1/orders/{body['id']}"
    assert body["number"].startswith("SO-1405-")
    assert (body["status"], body["origin"], body["person"], body["customer_name"]) == (
        "new",
        "manual",
        customer.pk,
        "سارا نادری",
    )
    first, second = body["lines"]
    assert (first["quantity"], first["discount_percent"], first["tax_rate_percent"]) == (
        "3.000",
        "12.5",
        "10",
    )
    assert (first["gross"], second["unit_price"]) == (1_350_000, 20_000)
    assert body["total"] == sum(line["total"] for line in body["lines"])
    assert body["balance"] == body["total"] and body["notes"] == XSS
    assert body["ordered_at"].startswith("2026-10-22T20:30:00")  # 1405/08/01 00:00 Tehran
    assert (body["owner"], body["team"], body["payments"], body["returns"]) == (
        agent.pk,
        agent.team_ids[0],
        [],
        [],
    )
    order_url = f"/api/v1/orders/{body['id']}"
    fetched = api.get(order_url)
    assert fetched.status_code == 200 and fetched.json() == body and fetched["ETag"] == '"1"'

    confirmed = api.patch(order_url, {"status": "confirmed"}, headers={"If-Match": '"1"'})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert confirmed["ETag"] == '"2"'
    stale = api.patch(order_url, {"status": "shipped"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert api.patch(order_url, {"status": "shipped", "version": 1}).status_code == 409
    backwards = api.patch(order_url, {"status": "new"})
    assert backwards.status_code == 422 and "status" in backwards.json()["error"]["fields"]
    locked = api.patch(order_url, {"lines": [{"product": mug.pk, "quantity": 1}]})
    assert locked.status_code == 422
    delivered = api.patch(order_url, {"status": "delivered", "notes": "تحویل شد"})
    assert delivered.json()["delivered_at"] is not None
    assert delivered.json()["notes"] == "تحویل شد"

    assert api.delete(order_url, headers={"If-Match": '"1"'}).status_code == 412
    assert api.delete(order_url).status_code == 204
    assert api.get(order_url).status_code == 404
    assert Order.trashed.filter(pk=body["id"]).exists()
    restored = api.post(f"{order_url}/restore")
    assert restored.status_code == 200 and restored.json()["status"] == "delivered"


def test_create_errors_are_422_by_field(api, other_agent, make_person, mug):
    stranger = make_person(other_agent, last_name="غریبه")
    response = api.post(
        "/api/v1/orders",
        {
            "person": stranger.pk,
            "lines": [{"product": mug.pk, "quantity": "a lot"}, {"quantity": 1}],
            "owner": 10**6,
        },
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {
        "person",
        "lines.0.quantity",
        "lines.1.description",
        "lines.1.unit_price",
        "owner",
    }
    assert api.post("/api/v1/orders", {"person": "x", "lines": "y"}).status_code == 422
    assert not Order.all_objects.exists()


@pytest.fixture
def team_orders(agent, other_agent, customer, make_person, mug):
    mine = new_order(agent, customer, [{"product": mug.pk, "quantity": 1}], ordered_at="1405/08/10")
    shipped = new_order(
        agent, make_person(agent, last_name="کریمی"), [{"product": mug.pk, "quantity": 2}]
    )
    orders.set_status(agent, shipped, "shipped")
    theirs = new_order(
        other_agent,
        make_person(other_agent, last_name="نادری"),
        [{"product": mug.pk, "quantity": 1}],
    )
    return mine, shipped, theirs


def test_lists_are_filtered_counted_and_never_show_another_team(api, team_orders):
    mine, shipped, theirs = team_orders

    def listed(query=""):
        response = api.get(f"/api/v1/orders{query}")
        assert response.status_code == 200, response.content
        return response.json()

    everything = listed()
    assert [o["id"] for o in everything["items"]] == [shipped.pk, mine.pk]
    assert (everything["count"], everything["count_is_exact"]) == (2, True)
    assert [o["id"] for o in listed("?status=shipped")["items"]] == [shipped.pk]
    assert [o["id"] for o in listed("?month=1405/08")["items"]] == [mine.pk]
    assert listed("?month=1405/08")["count"] == 1
    # The other team's customer is also a «نادری»: only our own order matches.
    assert [o["id"] for o in listed("?q=نادری")["items"]] == [mine.pk]
    assert listed(f"?q={theirs.number}")["items"] == []
    page = listed("?limit=1")
    assert len(page["items"]) == 1 and page["next_cursor"]
    second = listed(f"?limit=1&cursor={page['next_cursor']}")
    assert [o["id"] for o in second["items"]] == [mine.pk]
    for bad in ("?month=13", "?status=lost", "?cursor=garbage", "?limit=-1", "?owner=abc"):
        assert api.get(f"/api/v1/orders{bad}").status_code == 422, bad


def test_another_teams_order_answers_404_everywhere(api, api_as, other_agent, team_orders):
    theirs = team_orders[2]
    url = f"/api/v1/orders/{theirs.pk}"
    payment = orders.add_payment(other_agent, theirs, {"method": "cash", "amount": 1000})
    calls = [
        api.get(url),
        api.patch(url, {"status": "confirmed"}),
        api.delete(url),
        api.get(f"{url}/payments"),
        api.post(f"{url}/payments", {"method": "cash", "amount": 1000}),
        api.post(f"{url}/instalments", {"count": 2, "first_due_on": "1405/10/01"}),
        api.get(f"{url}/returns"),
        api.post(f"{url}/returns", {"line": theirs.lines.get().pk, "quantity": 1, "reason": "x"}),
        api.patch(f"/api/v1/payments/{payment.pk}", {"status": "received"}),
        api.post(f"{url}/restore"),
    ]
    assert [response.status_code for response in calls] == [404] * len(calls)
    theirs.refresh_from_db()
    assert (theirs.status, theirs.version, theirs.paid_total) == ("new", 2, 1000)


def test_viewers_read_but_never_write(api_as, viewer, team_orders):
    mine = team_orders[0]
    reader = api_as(viewer)
    url = f"/api/v1/orders/{mine.pk}"
    assert reader.get(url).status_code == 200
    assert reader.get("/api/v1/orders").json()["count"] == 2
    writes = [
        reader.post(
            "/api/v1/orders",
            {
                "person": mine.person_id,
                "lines": [{"description": "x", "quantity": 1, "unit_price": 1}],
            },
        ),
        reader.patch(url, {"status": "confirmed"}),
        reader.delete(url),
        reader.post(f"{url}/payments", {"method": "cash", "amount": 1000}),
        reader.post(f"{url}/instalments", {"count": 2, "first_due_on": "1405/10/01"}),
    ]
    assert [response.status_code for response in writes] == [403] * len(writes)
    mine.refresh_from_db()
    assert (mine.status, mine.version) == ("new", 1)


def test_payments_through_the_api(api, agent, customer, mug):
    order = new_order(agent, customer, [{"product": mug.pk, "quantity": 2}])  # 990,000
    url = f"/api/v1/orders/{order.pk}"
    cash = api.post(f"{url}/payments", {"method": "cash", "amount": "۱۹۰٬۰۰۰"})
    assert cash.status_code == 201, cash.content
    assert (cash.json()["status"], cash.json()["amount"]) == ("received", 190_000)
    cheque = api.post(
        f"{url}/payments",
        {
            "method": "cheque",
            "amount": 300_000,
            "bank": "صادرات",
            "reference": "123",
            "due_on": "2026-12-20",
        },
    )
    assert cheque.status_code == 201 and cheque.json()["status"] == "pending"
    too_much = api.post(f"{url}/payments", {"method": "card", "amount": 500_001})
    assert too_much.status_code == 422 and "amount" in too_much.json()["error"]["fields"]
    plan = api.post(f"{url}/instalments", {"count": 2, "first_due_on": "۱۴۰۵/۱۰/۰۱"})
    assert plan.status_code == 201
    assert [(p["amount"], p["due_on"]) for p in plan.json()] == [
        (250_000, "2026-12-22"),
        (250_000, "2027-01-21"),
    ]
    received = api.patch(
        f"/api/v1/payments/{cheque.json()['id']}",
        {"status": "received", "received_on": "1405/09/29"},
    )
    assert received.status_code == 200
    assert (received.json()["status"], received.json()["received_on"]) == ("received", "2026-12-20")
    assert (
        api.patch(f"/api/v1/payments/{cheque.json()['id']}", {"status": "bounced"}).status_code
        == 422
    )
    listed = api.get(f"{url}/payments").json()
    assert [p["method"] for p in listed] == ["cash", "cheque", "instalment", "instalment"]
    detail = api.get(url).json()
    assert (detail["paid_total"], detail["balance"], detail["version"]) == (490_000, 500_000, 5)
    assert api.patch("/api/v1/payments/999999", {"status": "received"}).status_code == 404


def test_returns_through_the_api(api, agent, customer, mug):
    order = delivered_order(agent, customer, [{"product": mug.pk, "quantity": 2}])
    line = order.lines.get()
    url = f"/api/v1/orders/{order.pk}/returns"
    made = api.post(url, {"line": line.pk, "quantity": 1, "reason": XSS})
    assert made.status_code == 201, made.content
    assert (made.json()["refund"], made.json()["reason"], made.json()["line"]) == (
        495_000,
        XSS,
        line.pk,
    )
    too_many = api.post(url, {"line": line.pk, "quantity": 2, "reason": "x"})
    assert too_many.status_code == 422 and "quantity" in too_many.json()["error"]["fields"]
    assert [r["id"] for r in api.get(url).json()] == [made.json()["id"]]
    detail = api.get(f"/api/v1/orders/{order.pk}").json()
    assert (detail["refunded_total"], detail["balance"]) == (495_000, 495_000)
    assert Payment.objects.count() == 0


def test_a_page_of_orders_costs_a_fixed_number_of_queries(
    api, agent, customer, mug, django_assert_max_num_queries
):
    for _ in range(6):
        order = new_order(agent, customer, [{"product": mug.pk, "quantity": 1}])
        orders.add_payment(agent, order, {"method": "cash", "amount": 1000})
    with django_assert_max_num_queries(12):
        response = api.get("/api/v1/orders")
    assert len(response.json()["items"]) == 6
