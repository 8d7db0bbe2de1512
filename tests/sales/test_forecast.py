"""The forecast by Jalali month: pipeline, weighted pipeline, won and targets; per owner and
team; only visible deals; through the service, the API and the page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from peyvand.accounts.models import Role
from peyvand.core.persian import to_persian_digits
from peyvand.sales import deals, quotes, targets
from peyvand.sales.forecast import forecast
from peyvand.sales.report_scope import Scope, clean_scope

from .quotes_fixtures import *  # noqa: F403 (fixtures)
from .reports_fixtures import *  # noqa: F403 (fixtures)
from .reports_fixtures import jday, tehran, won_on

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def month(result, number: int) -> dict:
    return result["months"][number - 1]


def set_target(actor, amount, month_=2, year=1404, **holder):
    return targets.set_target(actor, {"year": year, "month": month_, "amount": amount, **holder})


@pytest.fixture
def year_1404(agent, manager, make_deal, stages):
    """Deals of team A around 1404: open ones at both ends of the year, one won in
    Ordibehesht just after midnight Tehran time (still Farvardin in UTC)."""
    return {
        "first_day": make_deal(
            agent,
            title="اول سال",
            amount=1_000_000,
            stage=stages[0].pk,
            expected_close="1404/01/01",
        ),
        "year_before": make_deal(
            agent,
            title="سال قبل",
            amount=2_000_000,
            stage=stages[2].pk,
            expected_close="1403/12/30",
        ),
        "last_day": make_deal(
            agent,
            title="آخر سال",
            amount=3_000_000,
            stage=stages[2].pk,
            expected_close="1404/12/29",
        ),
        "won": won_on(
            agent,
            make_deal(agent, title="برده", amount=5_000_000, stage=stages[3].pk),
            tehran("1404/02/01", hour=0, minute=30),
        ),
    }


def test_months_follow_the_jalali_calendar_and_tehran_time(agent, year_1404):
    result = forecast(Scope(user=agent), 1404)

    assert [m["month_key"] for m in result["months"]] == [140400 + m for m in range(1, 13)]
    assert month(result, 1)["first_day"] == jday("1404/01/01")
    assert month(result, 12)["last_day"] == jday("1404/12/29")
    farvardin, esfand = month(result, 1), month(result, 12)
    assert (farvardin["open_count"], farvardin["open_amount"]) == (1, 1_000_000)
    assert farvardin["weighted"] == 100_000  # 10% stage
    assert (esfand["open_count"], esfand["open_amount"], esfand["weighted"]) == (
        1,
        3_000_000,
        1_500_000,
    )
    # Won at 00:30 on 1 Ordibehesht in Tehran: 20:00 UTC the day before, still Farvardin.
    assert farvardin["won_amount"] == 0
    assert (month(result, 2)["won_count"], month(result, 2)["won_amount"]) == (1, 5_000_000)
    # The deal expected on 30 Esfand 1403 belongs to the year before.
    assert result["total"]["open_amount"] == 4_000_000
    assert result["total"]["weighted"] == 1_600_000
    assert result["total"]["won_amount"] == 5_000_000


def test_won_against_target_by_month_and_to_date(agent, manager, year_1404):
    set_target(manager, 10_000_000, user=agent.pk)
    set_target(manager, 4_000_000, month_=3, user=agent.pk)

    with translation.override("en"):
        result = forecast(Scope(user=agent), 1404)

    assert month(result, 2)["target"] == 10_000_000
    assert month(result, 2)["won_percent"] == 50.0
    assert month(result, 3)["won_percent"] == 0.0
    assert month(result, 4)["target"] is None and month(result, 4)["won_percent"] is None
    # 1404 is over: "to date" is the whole year.
    total = result["total"]
    assert (total["won_to_date"], total["target_to_date"]) == (5_000_000, 14_000_000)
    assert total["to_date_percent"] == pytest.approx(35.7)
    assert result["through_month"] == "Esfand"


def test_to_date_stops_at_the_current_month(agent, manager, make_deal, stages):
    this_year = targets.current_jalali_year()
    for number in range(1, 13):
        set_target(manager, 1_000_000, month_=number, year=this_year, user=agent.pk)
    won_on(agent, make_deal(agent, amount=600_000), tehran(f"{this_year}/01/10"))

    result = forecast(Scope(user=agent), this_year)

    current = next(m for m in result["months"] if m["is_current"])
    assert result["total"]["target_to_date"] == 1_000_000 * current["month"]
    assert result["total"]["won_to_date"] == 600_000
    assert forecast(Scope(user=agent), this_year + 1)["through_month"] is None
    assert forecast(Scope(user=agent), this_year + 1)["total"]["target_to_date"] is None


def test_team_target_is_its_own_else_its_members_sum(agent, manager, team_a, year_1404):
    set_target(manager, 10_000_000, user=agent.pk)
    set_target(manager, 4_000_000, user=manager.pk)
    result = forecast(Scope(user=manager), 1404)
    assert month(result, 2)["target"] == 14_000_000
    team_row = next(row for row in result["teams"] if row["id"] == team_a.pk)
    assert team_row["target"] == 14_000_000

    set_target(manager, 20_000_000, team=team_a.pk)
    result = forecast(Scope(user=manager), 1404)
    assert month(result, 2)["target"] == 20_000_000
    # One owner's scope reads that owner's target only.
    owner_scope = clean_scope(manager, {"owner": str(agent.pk)})
    assert month(forecast(owner_scope, 1404), 2)["target"] == 10_000_000


def test_breakdown_per_owner_and_team(agent, manager, team_a, make_deal, stages, year_1404):
    won_on(manager, make_deal(manager, amount=8_000_000), tehran("1404/05/05"))
    set_target(manager, 10_000_000, user=agent.pk)

    result = forecast(Scope(user=manager), 1404)

    rows = {row["id"]: row for row in result["owners"]}
    assert rows[manager.pk]["won_amount"] == 8_000_000 and rows[manager.pk]["target"] is None
    assert rows[agent.pk]["won_amount"] == 5_000_000
    assert rows[agent.pk]["weighted"] == 1_600_000
    assert (rows[agent.pk]["target"], rows[agent.pk]["to_date_percent"]) == (10_000_000, 50.0)
    assert [row["id"] for row in result["owners"]] == [manager.pk, agent.pk]  # most won first
    (team_row,) = result["teams"]
    assert (team_row["id"], team_row["won_amount"]) == (team_a.pk, 13_000_000)


def test_deals_without_a_close_date_are_apart(agent, make_deal, stages, year_1404):
    undated = make_deal(agent, title=XSS, amount=9_000_000, stage=stages[1].pk)

    result = forecast(Scope(user=agent), 1404)

    assert result["no_date"]["count"] == 1
    assert result["no_date"]["amount"] == 9_000_000
    assert result["no_date"]["weighted"] == 2_250_000
    assert [d.pk for d in result["no_date"]["deals"]] == [undated.pk]
    assert result["total"]["open_amount"] == 4_000_000  # in no month


def test_another_teams_deals_change_nothing_for_the_agent(
    agent, admin, other_agent, make_deal, make_user, team_b, year_1404
):
    before = forecast(Scope(user=agent), 1404)
    won_on(other_agent, make_deal(other_agent, amount=7_000_000), tehran("1404/02/10"))
    make_deal(other_agent, amount=1_000_000, expected_close="1404/01/05")
    make_deal(other_agent, amount=1_000_000)
    targets.set_target(
        make_user(Role.MANAGER, [team_b]),
        {"year": 1404, "month": 2, "team": team_b.pk, "amount": 99_000_000},
    )

    assert forecast(Scope(user=agent), 1404) == before
    for_admin = forecast(Scope(user=admin), 1404)
    assert month(for_admin, 2)["won_amount"] == 12_000_000
    assert month(for_admin, 1)["open_amount"] == 2_000_000
    assert for_admin["no_date"]["count"] == 1
    assert month(for_admin, 2)["target"] == 99_000_000  # team A has none, team B's counts


def test_trashed_and_filtered_out_deals_do_not_count(agent, manager, year_1404):
    deals.trash_deal(agent, year_1404["won"])
    assert forecast(Scope(user=agent), 1404)["total"]["won_amount"] == 0
    other_owner = clean_scope(manager, {"owner": str(manager.pk)})
    assert forecast(other_owner, 1404)["total"]["open_amount"] == 0


def test_filters_refuse_what_the_user_may_not_look_at(agent, other_agent, team_b):
    with pytest.raises(ValidationError) as caught:
        clean_scope(
            agent,
            {"owner": str(other_agent.pk), "team": str(team_b.pk), "pipeline": "۹۹۹۹", "x": 1},
        )
    assert set(caught.value.message_dict) == {"owner", "team", "pipeline"}
    with pytest.raises(ValidationError) as caught:
        clean_scope(agent, {"owner": XSS})
    assert "owner" in caught.value.message_dict


def test_persian_digits_in_filters(agent, pipeline, team_a):
    scope = clean_scope(
        agent,
        {
            "pipeline": to_persian_digits(str(pipeline.pk)),
            "owner": to_persian_digits(str(agent.pk)),
            "team": to_persian_digits(str(team_a.pk)),
        },
    )
    assert (scope.pipeline, scope.owner, scope.team) == (pipeline, agent, team_a)


def test_an_accepted_quote_shows_as_won_in_the_month_it_was_won(
    agent, make_deal, make_quote, make_person
):
    person = make_person(agent)
    deal = make_deal(agent, amount=11_000_000, expected_close="1404/06/01", person=person.pk)
    quote = make_quote(agent, deal=deal.pk, person=person.pk)
    quotes.accept_quote(agent, quote)

    this_year = targets.current_jalali_year()
    result = forecast(Scope(user=agent), this_year)
    current = next(m for m in result["months"] if m["is_current"])
    assert (current["won_count"], current["won_amount"]) == (1, 11_000_000)
    assert forecast(Scope(user=agent), 1404)["total"]["open_amount"] == 0


# ---- API ---------------------------------------------------------------------------------------


def test_api_forecast(api_as, agent, manager, year_1404):
    set_target(manager, 10_000_000, user=agent.pk)
    response = api_as(agent).get("/api/v1/forecast?year=۱۴۰۴")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["year"] == 1404
    assert body["months"][1]["won_amount"] == 5_000_000
    assert body["months"][1]["won_percent"] == 50.0
    assert body["months"][0]["first_day"] == "2025-03-21"
    assert body["months"][3]["target"] is None
    assert body["total"]["weighted"] == 1_600_000
    assert body["owners"][0]["id"] == agent.pk
    assert body["no_date"]["count"] == 0


def test_api_forecast_visibility(api_as, agent, other_agent, viewer, admin, year_1404):
    url = "/api/v1/forecast?year=1404"
    assert api_as(other_agent).get(url).json()["total"]["won_amount"] == 0
    assert api_as(viewer).get(url).json()["total"]["won_amount"] == 5_000_000
    assert api_as(admin).get(url).json()["total"]["won_amount"] == 5_000_000
    refused = api_as(other_agent).get(f"{url}&owner={agent.pk}")
    assert refused.status_code == 422
    assert "owner" in refused.json()["error"]["fields"]


@pytest.mark.parametrize("year", ["abc", "1200", "99999999999999999999", XSS, "۱۴۰۴٫۵"])
def test_api_forecast_bad_year(api_as, agent, year):
    response = api_as(agent).get(f"/api/v1/forecast?year={year}")
    assert response.status_code == 422
    assert "year" in response.json()["error"]["fields"]


def test_api_requires_a_token(client):
    assert client.get("/api/v1/forecast").status_code == 401


# ---- the page ----------------------------------------------------------------------------------


def test_forecast_page(web_as, agent, manager, make_deal, stages, year_1404):
    set_target(manager, 10_000_000, user=agent.pk)
    make_deal(agent, title=XSS, amount=9_000_000)

    response = web_as(agent).get(reverse("sales:forecast"), {"year": "۱۴۰۴"})

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in page
    assert 'id="month-2"' in page
    assert "۵۰.۰٪" in page  # won vs target in Ordibehesht
    assert "۵۰۰,۰۰۰" in page  # 5,000,000 Rials = 500,000 Toman, Persian digits
    assert ESCAPED in page and XSS not in page
    assert reverse("sales:deal_detail", args=[deals.visible_deals(agent).get(title=XSS).pk]) in page


def test_forecast_page_bad_filters_say_so(web_as, agent, other_agent):
    response = web_as(agent).get(reverse("sales:forecast"), {"year": "12", "owner": other_agent.pk})
    assert response.status_code == 422
    page = response.content.decode()
    assert page.count("invalid-feedback") == 2


def test_forecast_page_needs_login(client):
    response = client.get(reverse("sales:forecast"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
