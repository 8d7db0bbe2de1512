"""The customer 360 page shows the person's or organisation's deals, quotes and orders: only
those the reader may see, with status, amount, Jalali dates and links to the sales pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peyvand.core.jalali import format_date
from peyvand.core.persian import to_persian_digits
from peyvand.sales import deals, quotes
from tests.sales.quotes_fixtures import *  # noqa: F403 (fixtures)
from tests.sales.reports_fixtures import *  # noqa: F403 (fixtures)

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def customer(agent, make_person, make_organization):
    organization = make_organization(agent, name="شرکت پیوند")
    return make_person(agent, first_name="مریم", last_name="احمدی"), organization


@pytest.fixture
def sold(agent, customer, make_deal, make_quote):
    """A won deal with its accepted quote and the order made from it, and an open deal."""
    person, organization = customer
    won = make_deal(
        agent,
        title="قرارداد سالانه",
        amount=12_000_000,
        person=person.pk,
        organization=organization.pk,
    )
    quote = make_quote(agent, deal=won.pk, person=person.pk, organization=organization.pk)
    order = quotes.accept_quote(agent, quote)
    still_open = make_deal(
        agent, title=XSS, amount=3_000_000, person=person.pk, expected_close="1406/02/15"
    )
    return {"won": won, "quote": quote, "order": order, "open": still_open}


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def sales_section(html: str) -> str:
    return html.split('id="sales"')[1].split("</section>")[0]


def test_person_page_lists_deals_quotes_and_orders(web_as, agent, customer, sold):
    person, _ = customer
    html = page(web_as(agent), reverse("customers:person_detail", args=[person.pk]))

    section = sales_section(html)
    assert reverse("sales:deal_detail", args=[sold["won"].pk]) in section
    assert reverse("sales:deal_detail", args=[sold["open"].pk]) in section
    assert reverse("sales:quote_detail", args=[sold["quote"].pk]) in section
    assert reverse("sales:order_detail", args=[sold["order"].pk]) in section
    assert ESCAPED in section and XSS not in html
    assert "۱,۲۰۰,۰۰۰" in section  # 12,000,000 Rials in Toman, Persian digits
    assert to_persian_digits("1406/02/15") in section  # the open deal's expected close
    won = deals.visible_deals(agent).get(pk=sold["won"].pk)
    assert to_persian_digits(format_date(won.closed_at)) in section
    assert to_persian_digits(sold["order"].number) in section


def test_organization_page_lists_its_sales(web_as, agent, customer, sold):
    _, organization = customer
    html = page(web_as(agent), reverse("customers:organization_detail", args=[organization.pk]))
    section = sales_section(html)
    assert reverse("sales:deal_detail", args=[sold["won"].pk]) in section
    assert reverse("sales:deal_detail", args=[sold["open"].pk]) not in section  # person only
    assert reverse("sales:order_detail", args=[sold["order"].pk]) in section


def test_another_teams_deal_on_the_same_person_stays_hidden(
    web_as, agent, admin, other_agent, team_b, customer, sold
):
    person, _ = customer
    hidden = deals.create_deal(
        admin,
        {"title": "فرصت تیم ب", "person": person.pk, "owner": other_agent.pk, "team": team_b.pk},
    )
    url = reverse("customers:person_detail", args=[person.pk])
    # The sales section only: the timeline below it is the activities area's.
    assert "فرصت تیم ب" not in sales_section(page(web_as(agent), url))
    assert reverse("sales:deal_detail", args=[hidden.pk]) in sales_section(page(web_as(admin), url))


def test_trashed_deals_are_not_shown(web_as, agent, customer, sold):
    person, _ = customer
    deals.trash_deal(agent, sold["open"])
    html = page(web_as(agent), reverse("customers:person_detail", args=[person.pk]))
    assert ESCAPED not in sales_section(html)


def test_empty_lists_say_so_and_long_ones_are_cut(web_as, agent, customer, make_deal):
    person, _ = customer
    client = web_as(agent)
    url = reverse("customers:person_detail", args=[person.pk])
    html = page(client, url)
    assert 'id="customer-deals"' in html and "list-group-item text-body-secondary" in html

    for i in range(3):
        make_deal(agent, title=f"فرصت {i}", person=person.pk)
    with CaptureQueriesContext(connection) as few:
        page(client, url)
    for i in range(3, 12):
        make_deal(agent, title=f"فرصت {i}", person=person.pk)
    with CaptureQueriesContext(connection) as many:
        html = page(client, url)
    # No query per deal: twelve deals cost what three did, plus one count of the rest.
    assert len(many) <= len(few) + 1
    listed = html.split('id="customer-deals"')[1].split("</ul>")[0]
    assert listed.count("list-group-item d-flex") == 10
    more = listed.split("list-group-item small")[1]
    assert "۲" in more  # "and 2 more"
