"""An agent's order in Persian, in a real Chromium: entered by hand, paid by cheque and
in cash, delivered (which starts the after-sales follow-up), and partly returned."""

import re

import pytest
from playwright.sync_api import expect

from peyvand.activities.models import Activity
from peyvand.core import jalali
from peyvand.sales.models import Cadence, CadenceStep, Order, Payment
from tests.sales.orders_fixtures import make_product

pytestmark = pytest.mark.browser


def test_an_order_from_entry_to_return(logged_in_page, agent, manager, make_person):
    customer = make_person(agent, first_name="نگار", last_name="موسوی")
    laptop = make_product(manager, code="LAPTOP-1", price=1_250_000)  # 125,000 Toman
    cadence = Cadence.objects.create(name="پس از فروش", trigger="order_delivered")
    CadenceStep.objects.create(cadence=cadence, after_days=3, subject="تماس پس از تحویل")
    page = logged_in_page(agent)

    # Enter the order by hand: two laptops, the quantity typed in Persian digits.
    page.goto("/sales/orders/new/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.select_option("#id_person", str(customer.pk))
    line = page.locator("#lines .order-line").first
    line.locator("select[name=line_product]").select_option(str(laptop.pk))
    line.locator("input[name=line_quantity]").fill("۲")
    page.locator("#order-form button[type=submit]", has_text="ذخیره").click()
    page.wait_for_url(re.compile(r"/sales/orders/\d+/$"))
    order = Order.objects.get()
    # 2 × 125,000 Toman + 10% VAT
    expect(page.locator("#total-total")).to_have_text("۲۷۵,۰۰۰ تومان")
    expect(page.locator("#balance")).to_have_text("۲۷۵,۰۰۰ تومان")

    # A cheque due on a Jalali date, then cash.
    page.select_option("#id_method", "cheque")
    page.fill("#id_amount", "۱۰۰٬۰۰۰")
    page.fill("#id_bank", "بانک ملت")
    page.fill("#id_reference", "۴۴۵۵۶۶")
    page.fill("#id_due_on", "۱۴۰۵/۱۰/۱۵")
    page.keyboard.press("Escape")
    page.click("#add-payment")
    expect(page.locator("#payments .payment-pending")).to_contain_text("۱۴۰۵/۱۰/۱۵")
    cheque = Payment.objects.get(method="cheque")
    assert (cheque.amount, cheque.reference) == (1_000_000, "445566")
    assert cheque.due_on == jalali.parse_date("1405/10/15")
    page.select_option("#id_method", "cash")
    page.fill("#id_amount", "۵۰۰۰۰")
    page.click("#add-payment")
    expect(page.locator("#total-paid")).to_have_text("۵۰,۰۰۰ تومان")
    expect(page.locator("#total-pending")).to_have_text("۱۰۰,۰۰۰ تومان")
    expect(page.locator("#balance")).to_have_text("۲۲۵,۰۰۰ تومان")

    # The cheque clears.
    page.locator(f"#payment-{cheque.pk} button[value=received]").click()
    expect(page.locator("#balance")).to_have_text("۱۲۵,۰۰۰ تومان")

    # Delivered: the after-sales follow-up appears on the customer's page.
    page.click("#status-delivered")
    expect(page.locator("#delivered-at")).to_be_visible()
    order.refresh_from_db()
    assert order.status == "delivered"
    task = Activity.objects.get(kind="task", subject="تماس پس از تحویل")
    assert (task.assignee, task.person) == (agent, customer)
    page.goto(f"/customers/people/{customer.pk}/")
    expect(page.locator("#followups")).to_contain_text("تماس پس از تحویل")

    # One laptop comes back: its net and tax (137,500 Toman) are refunded.
    page.goto(f"/sales/orders/{order.pk}/")
    page.select_option("#id_line", str(order.lines.get().pk))
    page.fill("#id_return_quantity", "۱")
    page.fill("#id_reason", "صفحه‌نمایش خراب")
    page.click("#add-return")
    expect(page.locator("#returns")).to_contain_text("صفحه‌نمایش خراب")
    expect(page.locator("#total-refunded")).to_have_text("۱۳۷,۵۰۰ تومان")
    expect(page.locator("#balance")).to_have_text("۱۲,۵۰۰ تومان")  # now owed to the customer
    order.refresh_from_db()
    assert (order.refunded_total, order.balance) == (1_375_000, -125_000)
