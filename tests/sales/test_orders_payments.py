"""Payments (cash, cheques, instalment plans) and returns through the services."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import override

from peyvand.core import jalali
from peyvand.core.models import AuditEvent
from peyvand.sales import orders
from peyvand.sales.models import Order, Payment

from .orders_fixtures import delivered_order, make_product, new_order


@pytest.fixture
def customer(make_person, agent):
    return make_person(agent, first_name="رضا", last_name="کاظمی")


@pytest.fixture
def order(agent, manager, customer):
    """An order of 11,000,000 Rials: 10,000,000 plus 10% VAT."""
    product = make_product(manager, price=5_000_000)
    return new_order(agent, customer, [{"product": product.pk, "quantity": 2}])


def fresh(order):
    return Order.objects.get(pk=order.pk)


def test_cash_is_received_and_a_cheque_waits_for_its_due_date(agent, order):
    cash = orders.add_payment(agent, order, {"method": "cash", "amount": "۳٬۰۰۰٬۰۰۰"})
    assert (cash.status, cash.received_on) == ("received", timezone.localdate())
    cheque = orders.add_payment(
        agent,
        order,
        {
            "method": "cheque",
            "amount": 5_000_000,
            "bank": "بانک ملت",
            "reference": "۷۷۸۸۹۹",
            "due_on": "۱۴۰۵/۱۰/۱۵",
        },
    )
    assert (cheque.status, cheque.received_on) == ("pending", None)
    assert cheque.due_on == jalali.parse_date("1405/10/15")
    assert cheque.reference == "778899"
    order = fresh(order)
    assert (order.paid_total, order.balance, order.version) == (3_000_000, 8_000_000, 3)
    assert orders.pending_total(order) == 5_000_000
    assert orders.open_amount(order) == 3_000_000
    event = AuditEvent.objects.filter(object_id=order.pk, content_type__model="order").first()
    assert "cheque 5000000 pending" in event.changes["payments"][1]

    orders.set_payment_status(agent, cheque, {"status": "received", "received_on": "1405/10/16"})
    order = fresh(order)
    assert (order.paid_total, order.balance) == (8_000_000, 3_000_000)
    assert Payment.objects.get(pk=cheque.pk).received_on == jalali.parse_date("1405/10/16")


def test_a_cheque_needs_its_bank_number_and_due_date(agent, order):
    with pytest.raises(ValidationError) as caught:
        orders.add_payment(agent, order, {"method": "cheque", "amount": 1000})
    assert set(caught.value.message_dict) == {"bank", "reference", "due_on"}
    with pytest.raises(ValidationError) as caught:
        orders.add_payment(
            agent,
            order,
            {"method": "bitcoin", "amount": "-1", "due_on": "1405/07/31", "status": "bounced"},
        )
    assert set(caught.value.message_dict) == {"method", "amount", "due_on", "status"}
    assert not Payment.objects.exists()
    assert fresh(order).version == 1


def test_an_overpayment_is_refused_with_what_is_left(agent, order):
    orders.add_payment(agent, order, {"method": "card", "amount": 10_000_000})
    with override("en"), pytest.raises(ValidationError) as caught:
        orders.add_payment(agent, order, {"method": "transfer", "amount": 1_000_001})
    assert "100,000 Toman" in caught.value.message_dict["amount"][0]
    # A pending cheque counts as promised: nothing more fits beside it.
    orders.add_payment(
        agent,
        order,
        {
            "method": "cheque",
            "amount": 1_000_000,
            "bank": "ملی",
            "reference": "1",
            "due_on": "1405/12/01",
        },
    )
    with pytest.raises(ValidationError):
        orders.add_payment(agent, order, {"method": "cash", "amount": 1})
    assert fresh(order).paid_total == 10_000_000


def test_a_bounced_cheque_no_longer_counts(agent, order):
    cheque = orders.add_payment(
        agent,
        order,
        {
            "method": "cheque",
            "amount": 11_000_000,
            "bank": "ملی",
            "reference": "42",
            "due_on": "1405/12/01",
        },
    )
    orders.set_payment_status(agent, cheque, {"status": "bounced"})
    order = fresh(order)
    assert (order.paid_total, orders.open_amount(order)) == (0, 11_000_000)
    with pytest.raises(ValidationError) as caught:
        orders.set_payment_status(agent, cheque, {"status": "received"})
    assert "status" in caught.value.message_dict
    with pytest.raises(ValidationError):
        orders.set_payment_status(agent, cheque, {"status": "pending"})
    assert orders.add_payment(agent, order, {"method": "cash", "amount": 11_000_000})


def test_instalments_split_the_rest_exactly_one_jalali_month_apart(agent, order):
    orders.add_payment(agent, order, {"method": "cash", "amount": 1_000_000})
    plan = orders.add_instalment_plan(agent, order, {"count": "۳", "first_due_on": "1405/06/31"})
    assert [p.amount for p in plan] == [3_333_334, 3_333_333, 3_333_333]
    assert [jalali.format_date(p.due_on) for p in plan] == [
        "1405/06/31",
        "1405/07/30",
        "1405/08/30",
    ]
    assert {(p.method, p.status) for p in plan} == {("instalment", "pending")}
    order = fresh(order)
    assert (orders.open_amount(order), order.balance) == (0, 10_000_000)
    with pytest.raises(ValidationError) as caught:
        orders.add_instalment_plan(agent, order, {"count": 2, "first_due_on": "1405/10/01"})
    assert "count" in caught.value.message_dict
    orders.set_payment_status(agent, plan[0], {"status": "received"})
    assert fresh(order).paid_total == 4_333_334


def test_an_esfand_instalment_lands_on_the_last_day_of_a_common_year(agent, order):
    plan = orders.add_instalment_plan(agent, order, {"count": 13, "first_due_on": "1403/12/30"})
    # 1403 is a leap year; Esfand 1404 has 29 days.
    assert jalali.format_date(plan[12].due_on) == "1404/12/29"
    assert sum(p.amount for p in plan) == 11_000_000


def test_bad_instalment_plans(agent, order):
    for data in (
        {"count": "0", "first_due_on": "1405/01/01"},
        {"count": "61", "first_due_on": "1405/01/01"},
        {"count": "x", "first_due_on": "1405/01/01"},
        {"count": "2", "first_due_on": "fardā"},
        {"count": "2"},
    ):
        with pytest.raises(ValidationError):
            orders.add_instalment_plan(agent, order, data)
    assert not Payment.objects.exists()


def test_no_payment_on_a_cancelled_order_and_none_from_a_viewer(agent, viewer, order):
    with pytest.raises(PermissionDenied):
        orders.add_payment(viewer, order, {"method": "cash", "amount": 1000})
    orders.set_status(agent, order, "cancelled")
    with pytest.raises(ValidationError):
        orders.add_payment(agent, order, {"method": "cash", "amount": 1000})


def test_payments_of_other_teams_are_invisible(agent, other_agent, order):
    payment = orders.add_payment(agent, order, {"method": "cash", "amount": 1000})
    assert list(orders.visible_payments(agent)) == [payment]
    assert not orders.visible_payments(other_agent).exists()


# ---- returns ----------------------------------------------------------------------------


@pytest.fixture
def odd_order(agent, manager, customer):
    """3 × 333,334 + 10% VAT = 1,100,002 Rials: a third of it is not a whole Rial."""
    product = make_product(manager, code="CUP", price=333_334)
    return delivered_order(agent, customer, [{"product": product.pk, "quantity": 3}])


def test_returns_refund_the_lines_share_and_add_up_exactly(agent, odd_order):
    line = odd_order.lines.get()
    assert line.total == 1_100_002
    first = orders.add_return(agent, odd_order, {"line": line.pk, "quantity": 1, "reason": "شکسته"})
    second = orders.add_return(
        agent, odd_order, {"line": line.pk, "quantity": "۲", "reason": "رنگ اشتباه"}
    )
    assert (first.refund, second.refund) == (366_667, 733_335)
    order = fresh(odd_order)
    assert order.refunded_total == 1_100_002 == line.total
    assert order.balance == 0
    with pytest.raises(ValidationError) as caught:
        orders.add_return(agent, order, {"line": line.pk, "quantity": "0.5", "reason": "x"})
    assert "quantity" in caught.value.message_dict
    event = AuditEvent.objects.filter(object_id=order.pk, content_type__model="order").first()
    assert "→ 733335" in event.changes["returns"][1]


def test_a_refund_after_payment_is_owed_to_the_customer(agent, odd_order):
    line = odd_order.lines.get()
    orders.add_payment(agent, odd_order, {"method": "cash", "amount": 1_100_002})
    orders.add_return(
        agent, odd_order, {"line": line.pk, "quantity": 1, "reason": "خراب", "refund": "400000"}
    )
    order = fresh(odd_order)
    assert (order.refunded_total, order.balance) == (400_000, -400_000)


def test_bad_returns_change_nothing(agent, other_agent, customer, odd_order, order):
    line = odd_order.lines.get()
    cases = [
        (odd_order, {"line": line.pk, "quantity": 4, "reason": "x"}, "quantity"),
        (odd_order, {"line": line.pk, "quantity": "-1", "reason": "x"}, "quantity"),
        (odd_order, {"line": line.pk, "quantity": 1, "reason": ""}, "reason"),
        (odd_order, {"line": line.pk, "quantity": 1, "reason": "x", "refund": 1_100_003}, "refund"),
        (odd_order, {"line": order.lines.get().pk, "quantity": 1, "reason": "x"}, "line"),
        (odd_order, {"line": "<script>", "quantity": 1, "reason": "x"}, "line"),
        # Goods come back only from a delivered order.
        (order, {"line": order.lines.get().pk, "quantity": 1, "reason": "x"}, "line"),
    ]
    for target, data, field in cases:
        with pytest.raises(ValidationError) as caught:
            orders.add_return(agent, target, data)
        assert field in caught.value.message_dict, data
    assert fresh(odd_order).refunded_total == 0
    assert not odd_order.returns.exists()


def test_returned_quantities_allow_decimals(agent, manager, customer):
    product = make_product(manager, code="RICE", price=800_000, unit="kg")
    order = delivered_order(agent, customer, [{"product": product.pk, "quantity": "2.5"}])
    line = order.lines.get()
    made = orders.add_return(agent, order, {"line": line.pk, "quantity": "۰٫۵", "reason": "کپک"})
    assert made.quantity == Decimal("0.5")
    assert made.refund == 440_000  # a fifth of 2,200,000
    assert orders.returnable_quantity(line) == Decimal("2")
