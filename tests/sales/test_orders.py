"""Orders through the services: by hand, from a quote, status, visibility and lists."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from peyvand.activities.models import Activity
from peyvand.core import jalali
from peyvand.core.errors import StaleVersionError
from peyvand.core.models import AuditEvent
from peyvand.sales import orders, quotes
from peyvand.sales.models import Cadence, CadenceStep, Order

from .orders_fixtures import make_product, new_order


@pytest.fixture
def laptop(manager):
    return make_product(manager)


@pytest.fixture
def customer(make_person, agent):
    return make_person(agent, first_name="مریم", last_name="احمدی", phones=["09121234567"])


def two_lines(product):
    return [
        {"product": product.pk, "quantity": "۲", "discount_percent": "10"},
        {"description": "نصب و راه‌اندازی", "quantity": 1, "unit_price": 500_000},
    ]


def test_an_order_by_hand_is_priced_exactly_numbered_and_audited(agent, customer, laptop):
    order = new_order(agent, customer, two_lines(laptop))
    year = jalali.format_date(timezone.localdate())[:4]
    assert order.number == f"SO-{year}-00001"
    assert (order.status, order.origin, order.owner, order.team_id) == (
        "new",
        "manual",
        agent,
        agent.team_ids[0],
    )
    first, second = order.lines.all()
    # 2 × 1,250,000 less 10% = 2,250,000, VAT 10% = 225,000.
    assert (first.gross, first.net, first.tax, first.total) == (
        2_500_000,
        2_250_000,
        225_000,
        2_475_000,
    )
    assert (first.description, first.unit_price) == (laptop.name, 1_250_000)
    # A free-text line takes the default VAT rule.
    assert (second.net, second.tax, second.total) == (500_000, 50_000, 550_000)
    assert (order.subtotal, order.discount_total, order.tax_total, order.total) == (
        3_000_000,
        250_000,
        275_000,
        3_025_000,
    )
    assert order.balance == 3_025_000
    assert new_order(agent, customer, two_lines(laptop)).number == f"SO-{year}-00002"
    event = AuditEvent.objects.get(object_id=order.pk, action="create", content_type__model="order")
    assert "نصب و راه‌اندازی" in event.changes["lines"][1]


def test_an_order_discount_is_shared_between_lines_to_the_rial(agent, customer, laptop):
    order = new_order(agent, customer, two_lines(laptop), discount="100000")
    first, second = order.lines.all()
    assert (first.net, second.net) == (2_168_182, 481_818)
    assert (first.tax, second.tax) == (216_818, 48_182)
    assert order.total == 2_915_000
    assert order.total == sum(line.total for line in order.lines.all())


def test_bad_orders_name_every_field_and_save_nothing(agent, other_agent, make_person, laptop):
    stranger = make_person(other_agent, last_name="غریبه")
    with pytest.raises(ValidationError) as caught:
        orders.create_order(
            agent,
            {
                "person": stranger.pk,
                "lines": [
                    {"product": 999_999, "quantity": "دو"},
                    {"description": "x" * 301, "quantity": 1, "unit_price": "-5"},
                    {"product": laptop.pk, "quantity": 1, "discount_amount": 2_000_000},
                ],
                "discount": "abc",
                "ordered_at": "1405/13/40",
                "notes": "y" * 20_000,
            },
        )
    errors = caught.value.message_dict
    assert set(errors) >= {
        "person",
        "lines.0.product",
        "lines.0.quantity",
        "lines.1.description",
        "lines.1.unit_price",
        "discount",
        "ordered_at",
        "notes",
    }
    with pytest.raises(ValidationError) as caught:
        orders.create_order(agent, {"lines": []})
    assert set(caught.value.message_dict) == {"person", "lines"}
    with pytest.raises(ValidationError) as caught:
        new_order(agent, make_person(agent), [{"product": laptop.pk, "discount_amount": 9e9}])
    assert Order.all_objects.count() == 0


def test_persian_digits_and_jalali_dates_are_read(agent, customer, laptop):
    order = new_order(
        agent,
        customer,
        [{"product": laptop.pk, "quantity": "۱٫۵", "unit_price": "۱۲۰٬۰۰۰"}],
        ordered_at="۱۴۰۵/۰۲/۱۰",
        discount="۱۰۰۰",
    )
    line = order.lines.get()
    assert (line.quantity, line.unit_price, line.gross) == (Decimal("1.5"), 120_000, 180_000)
    assert timezone.localtime(order.ordered_at).date() == dt.date(2026, 4, 30)
    assert order.discount == 1000


def test_viewers_never_write_and_others_never_see(agent, viewer, other_agent, customer, laptop):
    with pytest.raises(PermissionDenied):
        new_order(viewer, customer, two_lines(laptop))
    order = new_order(agent, customer, two_lines(laptop))
    assert orders.order_detail(viewer, order.pk) == order
    with pytest.raises(PermissionDenied):
        orders.set_status(viewer, order, "confirmed")
    assert not orders.visible_orders(other_agent).exists()
    with pytest.raises(Http404):
        orders.order_detail(other_agent, order.pk)


def test_status_moves_forward_only(agent, customer, laptop):
    order = new_order(agent, customer, two_lines(laptop))
    assert orders.allowed_statuses(order) == ["confirmed", "shipped", "delivered", "cancelled"]
    order = orders.set_status(agent, order, "confirmed", expected_version=1)
    assert (order.status, order.version) == ("confirmed", 2)
    with pytest.raises(ValidationError) as caught:
        orders.set_status(agent, order, "new")
    assert "status" in caught.value.message_dict
    with pytest.raises(StaleVersionError):
        orders.set_status(agent, order, "shipped", expected_version=1)
    with pytest.raises(ValidationError):
        orders.set_status(agent, order, "lost")
    order = orders.set_status(agent, order, "delivered")  # shipping may be skipped
    assert order.delivered_at is not None
    assert orders.allowed_statuses(order) == []
    with pytest.raises(ValidationError):
        orders.set_status(agent, order, "cancelled")
    order.refresh_from_db()
    assert order.status == "delivered"
    changes = AuditEvent.objects.filter(object_id=order.pk, action="update").values_list(
        "changes", flat=True
    )
    assert [c["status"] for c in changes] == [
        ["confirmed", "delivered"],
        ["new", "confirmed"],
    ]


def test_delivery_starts_the_after_sales_cadence(agent, customer, laptop):
    cadence = Cadence.objects.create(name="پس از فروش", trigger="order_delivered")
    CadenceStep.objects.create(cadence=cadence, after_days=30, subject="تماس رضایت‌سنجی")
    order = new_order(agent, customer, two_lines(laptop))
    orders.set_status(agent, order, "delivered")
    task = Activity.objects.get(kind="task", subject="تماس رضایت‌سنجی")
    assert (task.assignee, task.person) == (agent, customer)
    assert timezone.localtime(task.due_at).date() == timezone.localdate() + dt.timedelta(days=30)


def test_a_cancelled_order_starts_no_cadence(agent, customer, laptop):
    cadence = Cadence.objects.create(name="پس از فروش", trigger="order_delivered")
    CadenceStep.objects.create(cadence=cadence, after_days=3, subject="تماس")
    order = orders.set_status(agent, new_order(agent, customer, two_lines(laptop)), "cancelled")
    assert order.delivered_at is None
    assert not Activity.objects.filter(kind="task").exists()


def test_lines_change_only_while_the_order_is_new(agent, customer, laptop):
    order = new_order(agent, customer, two_lines(laptop))
    order = orders.update_order(
        agent, order, {"lines": [{"product": laptop.pk, "quantity": 1}], "notes": "فوری"}, 1
    )
    assert (order.total, order.notes, order.lines.count()) == (1_375_000, "فوری", 1)
    orders.set_status(agent, order, "confirmed")
    with pytest.raises(ValidationError) as caught:
        orders.update_order(agent, order, {"discount": 1000})
    assert "lines" in caught.value.message_dict
    order = orders.update_order(agent, order, {"notes": "ارسال با پیک"})
    assert order.notes == "ارسال با پیک"


def test_an_accepted_quote_becomes_one_order(agent, customer, laptop):
    quote = quotes.create_quote(
        agent,
        {
            "person": customer.pk,
            "lines": two_lines(laptop),
            "discount": 100_000,
            "notes": "تحویل در محل",
        },
    )
    with pytest.raises(ValidationError):
        orders.create_order_from_quote(agent, quote)  # still a draft
    order = quotes.accept_quote(agent, quote)
    assert (order.origin, order.quote, order.person, order.owner) == (
        "quote",
        quote,
        customer,
        agent,
    )
    assert (order.total, order.discount, order.tax_total, order.notes) == (
        quote.total,
        100_000,
        quote.tax_total,
        "تحویل در محل",
    )
    assert [(x.description, x.quantity, x.net, x.total) for x in order.lines.all()] == [
        (x.description, x.quantity, x.net, x.total) for x in quote.lines.all()
    ]
    assert orders.create_order_from_quote(agent, quote) == order
    assert Order.objects.count() == 1


@pytest.fixture
def three_orders(agent, manager, customer, make_person, make_organization, laptop):
    company = make_organization(agent, name="شرکت آلفا")
    farvardin = new_order(agent, customer, two_lines(laptop), ordered_at="1405/01/31 23:30")
    ordibehesht = orders.create_order(
        manager,
        {
            "organization": company.pk,
            "lines": two_lines(laptop),
            "ordered_at": "1405/02/01 00:10",
        },
    )
    other = new_order(agent, make_person(agent, last_name="کریمی"), two_lines(laptop))
    orders.set_status(agent, other, "confirmed")
    return farvardin, ordibehesht, other


def test_lists_filter_by_jalali_month_status_owner_and_search(agent, manager, three_orders):
    farvardin, ordibehesht, other = three_orders

    def numbers(**params):
        items, _ = orders.orders_page(agent, params, 25)
        return [o.number for o in items]

    assert numbers() == [other.number, ordibehesht.number, farvardin.number]
    assert numbers(month="۱۴۰۵/۰۱") == [farvardin.number]
    assert numbers(month="1405-2") == [ordibehesht.number]
    assert numbers(status="confirmed") == [other.number]
    assert numbers(owner=str(manager.pk)) == [ordibehesht.number]
    assert numbers(q="احمدي") == [farvardin.number]  # Arabic ي finds the Persian ی
    assert numbers(q="آلفا") == [ordibehesht.number]
    assert numbers(q=other.number[-5:]) == [other.number]
    assert numbers(q="0912 123") == [farvardin.number]
    assert orders.orders_count(agent, {"origin": "manual"}).value == 3
    for bad in ({"month": "1405/13"}, {"status": "lost"}, {"owner": "x"}, {"month": "<b>"}):
        with pytest.raises(ValidationError):
            orders.orders_page(agent, bad, 25)


def test_pages_walk_the_list_by_keyset(agent, customer, laptop):
    made = [new_order(agent, customer, two_lines(laptop)) for _ in range(3)]
    first, cursor = orders.orders_page(agent, {}, 2)
    second, end = orders.orders_page(agent, {"cursor": cursor}, 2)
    assert [o.pk for o in first + second] == [o.pk for o in reversed(made)]
    assert end is None


def test_trash_and_restore(agent, other_agent, manager, customer, laptop, make_user, team_a):
    order = new_order(agent, customer, two_lines(laptop))
    teammate = make_user("agent", [team_a])
    with pytest.raises(PermissionDenied):
        orders.trash_order(teammate, order)  # agents trash only their own
    orders.trash_order(agent, order)
    assert not orders.visible_orders(agent).exists()
    assert list(orders.trashed_orders(manager)) == [order]
    assert not orders.trashed_orders(other_agent).exists()
    orders.restore_order(agent, Order.all_objects.get(pk=order.pk))
    assert orders.order_detail(agent, order.pk).version == 3
