"""Issue 4, acceptance 1, end to end in Persian and in a real Chromium: a lead sent through
the form embedded in another site is assigned and scored, converted into a person and a
deal, the deal is dragged across the board, quoted (the PDF read back), the accepted quote
becomes an order, and the forecast counts the sale in this Jalali month. Every step goes
through the pages and their navigation; only users and the catalogue are made by services."""

import re

import jdatetime
import pytest
from django.utils import timezone
from django.utils.translation import override
from pdfminer.high_level import extract_text
from playwright.sync_api import expect

from peyvand.accounts.models import Role
from peyvand.core.jalali import format_date
from peyvand.core.persian import to_persian_digits
from peyvand.sales import catalog, forecast
from peyvand.sales.models import Deal, Lead, Order, Pipeline, Quote, StageChange
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

LANDING = "/landing?utm_source=google&utm_medium=cpc&utm_campaign=bahar"
PRICE = 50_000_000  # Rials: 5,000,000 Toman
TOTAL = 55_000_000  # one unit plus 10% VAT


def toman(rials: int) -> str:
    """An amount as the pages show it: Toman, Persian digits, a comma between thousands."""
    return to_persian_digits(f"{rials // 10:,}")


def pdf_rials(rials: int) -> str:
    """An amount as the PDF prints it: Rials, Persian digits, the Arabic thousands sign."""
    return to_persian_digits(f"{rials:,}").replace(",", "\u066c")


def open_menu(page, name: str) -> None:
    """Follow a link of the main navigation, or of its «بیشتر» menu."""
    nav = page.locator("#mainnav")
    link = nav.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        nav.get_by_role("button", name="بیشتر").click()
    link.click()
    page.wait_for_load_state()


def drag(page, source, target) -> None:
    """Real mouse events with intermediate steps, as SortableJS needs them."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + 20, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] - 10, steps=25)
    page.mouse.up()


def column(page, stage):
    return page.locator(f'.board-column[data-stage-id="{stage.pk}"]')


def configure_leads(page, team, fallback_owner, shop_origin) -> str:
    """The manager, from the sales settings: a web form for the shop, two scoring rules and
    a round-robin rule for the team. Returns the snippet to paste."""
    page.goto("/")
    open_menu(page, "تنظیمات فروش")
    page.get_by_role("link", name="فرم‌های وب").click()
    page.fill("#id_name", "فرم صفحه قیمت")
    page.select_option("#id_team", str(team.pk))
    page.select_option("#id_default_owner", str(fallback_owner.pk))
    page.select_option("#id_source", "website")
    page.fill("#id_allowed_origins", shop_origin)
    page.locator("#web-form-form button[type=submit]").click()
    expect(page.locator("#web-forms")).to_contain_text("فرم صفحه قیمت")
    snippet = page.locator("#web-forms textarea.snippet").first.input_value()

    settings_nav = page.locator("#lead-settings-nav")
    settings_nav.get_by_role("link", name="امتیازدهی سرنخ‌ها").click()
    for label, attribute, value, points in (
        ("آمده از گوگل", "utm_source", "google", "۲۵"),
        ("ایمیل دارد", "has_email", "", "۱۰"),
    ):
        page.fill("#id_label", label)
        page.select_option("#id_attribute", attribute)
        page.fill("#id_value", value)
        page.fill("#id_points", points)
        page.locator("#scoring-rule-form button[type=submit]").click()
        expect(page.locator("#scoring-rules")).to_contain_text(label)

    settings_nav.get_by_role("link", name="قواعد واگذاری").click()
    page.fill("#id_name", "نوبتی تیم الف")
    page.select_option("#id_method", "round_robin")
    page.select_option("#id_team", str(team.pk))
    page.locator("#assignment-rule-form button[type=submit]").click()
    expect(page.locator("#assignment-rules")).to_contain_text("نوبتی تیم الف")
    return snippet


def visit_shop_and_send(visitor, shop) -> None:
    """An anonymous visitor comes from Google to the shop's page, which carries the
    snippet, and sends the form."""
    visitor.goto(shop.origin + LANDING, referer="https://www.google.com/")
    form = visitor.frame_locator("iframe[data-peyvand-form]")
    form.locator("#id_first_name").fill("نیما")
    form.locator("#id_last_name").fill("کریمی")
    form.locator("#id_phone").fill("۰۹۱۲ ۴۴۴ ۵۵۶۶")
    form.locator("#id_email").fill("nima@example.ir")
    form.locator("#id_message").fill("لطفا پیش‌فاکتور بفرستید")
    form.locator("#lead-form button[type=submit]").click()
    expect(form.locator("#lead-form-sent")).to_be_visible()


def test_a_web_lead_becomes_a_won_order_in_this_jalali_month(
    logged_in_page, new_page, shop, manager, agent, make_user, team_a, other_agent, admin
):
    # The web form's fallback owner is another agent of the team: the round-robin rule,
    # not the fallback, gives the lead to the first agent.
    fallback = make_user(Role.AGENT, [team_a])
    laptop = catalog.create_product(
        admin, {"code": "LAP-14", "name": "لپ‌تاپ ۱۴ اینچ", "price": PRICE}
    )
    stages = list(Pipeline.objects.get(name="فروش").stages.order_by("position"))

    manager_page = logged_in_page(manager)
    shop.snippet = configure_leads(manager_page, team_a, fallback, shop.origin)
    visit_shop_and_send(new_page(), shop)

    # The agent finds the lead in their list, assigned to them, scored with its factors.
    page = log_in(new_page(), agent.email)
    expect(page.locator("html")).to_have_attribute("lang", "fa")
    open_menu(page, "سرنخ‌ها")
    page.get_by_role("link", name="نیما کریمی").click()
    lead = Lead.objects.get(last_name="کریمی")
    page.wait_for_url(f"**/sales/leads/{lead.pk}/")
    expect(page.locator("#lead-owner")).to_have_text(str(agent))
    expect(page.locator("#attribution")).to_contain_text("bahar")
    expect(page.locator("#rule-score")).to_have_text("۳۵")
    expect(page.locator("#score-factors")).to_contain_text("آمده از گوگل: +۲۵")
    expect(page.locator("#score-factors")).to_contain_text("ایمیل دارد: +۱۰")

    # Converted: a person and a deal, the amount typed in Toman with Persian digits.
    page.fill("#id_deal_title", "لپ‌تاپ برای نیما کریمی")
    page.fill("#id_deal_amount", "۵٬۵۰۰٬۰۰۰")
    page.locator("#convert-button").click()
    expect(page.locator("#converted-links")).to_be_visible()
    lead.refresh_from_db()
    deal = lead.deal
    assert (deal.amount, deal.owner, deal.stage) == (TOTAL, agent, stages[0])
    expect(page.locator("#person-link")).to_have_text("نیما کریمی")

    # On the board, the deal is dragged one stage on, then another; each move is saved.
    open_menu(page, "فرصت‌های فروش")
    card = page.locator(f"#deal-{deal.pk}")
    expect(column(page, stages[0]).locator(f"#deal-{deal.pk}")).to_be_visible()
    for stage in stages[1:3]:
        drag(
            page,
            card.locator(f"#deal-{deal.pk}-facts"),
            column(page, stage).locator(".board-cards"),
        )
        expect(column(page, stage).locator(f"#deal-{deal.pk}")).to_be_visible()
        expect(column(page, stage).locator(".column-total")).to_contain_text(toman(TOTAL))
    page.reload()
    expect(column(page, stages[2]).locator(f"#deal-{deal.pk}")).to_be_visible()
    assert [
        change.to_stage for change in StageChange.objects.filter(deal=deal).order_by("pk")
    ] == stages[:3]

    # A quote from the deal: its customer comes along; one laptop from the catalogue.
    card.locator(".deal-title").click()
    page.wait_for_url(f"**/sales/deals/{deal.pk}/")
    page.get_by_role("link", name="پیش‌فاکتور جدید").click()
    page.wait_for_url("**/sales/quotes/new/**")
    expect(page.locator("#quote-deal")).to_have_text(deal.title)
    expect(page.locator("#id_person")).to_have_value(str(lead.person_id))
    line = page.locator("tr.quote-line").first
    line.locator("select.line-product").select_option(str(laptop.pk))
    expect(line.locator(".line-price")).to_have_value(str(PRICE // 10))
    line.locator(".line-quantity").fill("۱")
    expect(page.locator("#total-total")).to_contain_text(toman(TOTAL))
    page.locator("#quote-form button[type=submit]", has_text="ذخیره").click()
    page.wait_for_url(re.compile(r"/sales/quotes/\d+/$"))
    quote = Quote.objects.get(deal=deal)
    assert quote.total == TOTAL
    expect(page.locator("#quote-total")).to_contain_text(toman(TOTAL))

    # Its PDF carries today's Jalali date and the total, both in Persian digits.
    with page.expect_download() as download:
        page.get_by_role("link", name="دریافت PDF").click()
    text = extract_text(str(download.value.path()))
    assert to_persian_digits(format_date(timezone.localdate())) in text
    assert pdf_rials(TOTAL) in text
    assert to_persian_digits(quote.number) in text

    # The customer accepts: an order with the same total, reachable from the quote and
    # listed among the orders; the deal is won.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#accept-button").click()
    order_link = page.locator("#quote-order a")
    expect(order_link).to_be_visible()
    order = Order.objects.get(quote=quote)
    expect(order_link).to_have_text(to_persian_digits(order.number))
    order_link.click()
    page.wait_for_url(f"**/sales/orders/{order.pk}/")
    expect(page.locator("#total-total")).to_contain_text(toman(TOTAL))
    assert order.total == TOTAL
    open_menu(page, "سفارش‌ها")
    expect(page.get_by_role("link", name=to_persian_digits(order.number))).to_be_visible()
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.WON

    # The manager's forecast counts the sale as won in this Jalali month (Tehran's today).
    open_menu(manager_page, "پیش‌بینی فروش")
    today = jdatetime.date.fromgregorian(date=timezone.localdate())
    row = manager_page.locator(f"#month-{today.month}")
    expect(row).to_have_attribute("aria-current", "date")
    with override("fa"):
        month = f"{forecast.month_name(today.month)} {to_persian_digits(str(today.year))}"
    expect(row.locator("th")).to_contain_text(month)
    expect(row.locator(".won")).to_contain_text(toman(TOTAL))
    expect(manager_page.locator("#total-won")).to_contain_text(toman(TOTAL))

    # Another team's agent sees none of it.
    outsider = log_in(new_page(), other_agent.email)
    open_menu(outsider, "پیش‌بینی فروش")
    expect(outsider.locator(f"#month-{today.month} .won")).not_to_contain_text(toman(TOTAL))
    for path in (
        f"/sales/leads/{lead.pk}/",
        f"/sales/deals/{deal.pk}/",
        f"/sales/quotes/{quote.pk}/",
        f"/sales/orders/{order.pk}/",
    ):
        assert outsider.goto(path).status == 404
