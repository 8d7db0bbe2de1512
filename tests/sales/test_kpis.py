"""Sales KPIs: every figure with its n, 95% intervals where they estimate, "no data" at n = 0,
and only the deals the user may see; through the service, the API and the page."""

import math

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from peyvand.sales import deals, targets
from peyvand.sales.kpis import clean_period, default_period, sales_kpis
from peyvand.sales.models import LostReason
from peyvand.sales.report_scope import Scope, clean_scope

from .reports_fixtures import *  # noqa: F403 (fixtures)
from .reports_fixtures import jday, lost_on, tehran, won_on

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
YEAR_1404 = (jday("1404/01/01"), jday("1404/12/29"))


def wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval, written out independently of scipy."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return round((centre - half) * 100, 1), round((centre + half) * 100, 1)


@pytest.fixture
def reasons(db):
    return list(LostReason.objects.filter(is_active=True)[:2])


@pytest.fixture
def closed_1404(agent, make_deal, reasons):
    """Three deals won after 10, 20 and 31 days, three lost (two for the same reason), and
    one won the year before, which no 1404 figure counts."""
    for amount, created, won in (
        (1_000_000, "1404/03/01", "1404/03/11"),
        (2_000_000, "1404/04/01", "1404/04/21"),
        (3_000_000, "1404/05/01", "1404/06/01"),
    ):
        won_on(agent, make_deal(agent, amount=amount), tehran(won), created=tehran(created))
    for lost_reason, day in (
        (reasons[0], "1404/07/01"),
        (reasons[0], "1404/08/01"),
        (reasons[1], "1404/08/05"),
    ):
        lost_on(agent, make_deal(agent, amount=500_000), lost_reason, tehran(day))
    won_on(agent, make_deal(agent, amount=50_000_000), tehran("1403/12/20"))


def test_win_rate_deal_size_and_cycle(agent, closed_1404):
    result = sales_kpis(Scope(user=agent), *YEAR_1404)

    assert result["win_rate"] == {
        "n": 6,
        "successes": 3,
        "percent": 50.0,
        "ci_low": wilson(3, 6)[0],
        "ci_high": wilson(3, 6)[1],
    }
    size = result["deal_size"]
    assert (size["n"], size["mean"], size["total"]) == (3, 2_000_000, 6_000_000)
    # mean ± t(0.975, 2) · s/√n = 2,000,000 ± 4.3027 · 577,350; the low end stops at 0.
    assert size["ci_low"] == 0
    assert size["ci_high"] == pytest.approx(4_484_138, abs=2)
    cycle = result["cycle_days"]
    assert (cycle["n"], cycle["median"], cycle["mean"]) == (3, 20.0, 20.3)
    assert cycle["ci_low"] == 0.0 and cycle["ci_high"] == 46.4


def test_lost_reasons_with_shares(agent, closed_1404, reasons):
    lost = sales_kpis(Scope(user=agent), *YEAR_1404)["lost_reasons"]
    assert lost["n"] == 3
    assert [(r["id"], r["count"], r["percent"]) for r in lost["reasons"]] == [
        (reasons[0].pk, 2, 66.7),
        (reasons[1].pk, 1, 33.3),
    ]


def test_no_data_is_never_zero_percent(agent):
    result = sales_kpis(Scope(user=agent), *YEAR_1404)
    assert result["win_rate"]["n"] == 0 and result["win_rate"]["percent"] is None
    assert result["deal_size"]["mean"] is None and result["cycle_days"]["median"] is None
    assert result["lost_reasons"] == {"n": 0, "reasons": []}
    assert result["pipeline"]["coverage"]["state"] == "no_target"
    stages_ = result["stage_conversion"][0]["stages"]
    assert all(stage["n"] == 0 and stage["percent"] is None for stage in stages_)


def test_one_won_deal_has_no_interval(agent, make_deal):
    won_on(agent, make_deal(agent, amount=7_000_000), tehran("1404/02/02"))
    result = sales_kpis(Scope(user=agent), *YEAR_1404)
    assert result["deal_size"]["mean"] == 7_000_000
    assert result["deal_size"]["ci_low"] is None and result["deal_size"]["ci_high"] is None
    assert result["win_rate"]["percent"] == 100.0
    assert result["win_rate"]["ci_low"] == wilson(1, 1)[0]


def test_stage_conversion_from_the_stage_history(agent, make_deal, stages, reasons):
    went_all_the_way = make_deal(agent, title="کامل")
    deals.move_deal(agent, went_all_the_way, stages[1].pk)
    deals.move_deal(agent, went_all_the_way, stages[2].pk)
    deals.win_deal(agent, went_all_the_way)
    lost_later = make_deal(agent, title="باخته")
    deals.move_deal(agent, lost_later, stages[1].pk)
    deals.lose_deal(agent, lost_later, reasons[0].pk)
    make_deal(agent, title="هنوز باز")
    back_and_forth = make_deal(agent, title="رفت و برگشت")
    deals.move_deal(agent, back_and_forth, stages[1].pk)
    deals.move_deal(agent, back_and_forth, stages[0].pk)

    (pipeline_row,) = sales_kpis(Scope(user=agent), *default_period())["stage_conversion"]

    by_stage = {row["stage_id"]: row for row in pipeline_row["stages"]}
    assert (by_stage[stages[0].pk]["n"], by_stage[stages[0].pk]["successes"]) == (4, 3)
    assert by_stage[stages[0].pk]["percent"] == 75.0
    assert (by_stage[stages[1].pk]["n"], by_stage[stages[1].pk]["successes"]) == (3, 1)
    assert by_stage[stages[1].pk]["ci_low"] == wilson(1, 3)[0]
    assert (by_stage[stages[2].pk]["n"], by_stage[stages[2].pk]["percent"]) == (1, 100.0)
    assert by_stage[stages[3].pk]["n"] == 0 and by_stage[stages[3].pk]["percent"] is None
    # Entries before the period are not counted.
    (earlier,) = sales_kpis(Scope(user=agent), *YEAR_1404)["stage_conversion"]
    assert all(row["n"] == 0 for row in earlier["stages"])


def test_pipeline_and_coverage_of_the_remaining_target(agent, manager, make_deal, stages):
    year = targets.current_jalali_year()
    start, end = default_period()
    for month in range(1, 13):
        targets.set_target(
            manager, {"year": year, "month": month, "user": agent.pk, "amount": 1_000_000}
        )
    won_on(agent, make_deal(agent, amount=4_000_000), tehran(f"{year}/01/02"))
    make_deal(agent, amount=20_000_000, stage=stages[2].pk, expected_close=end.isoformat())
    make_deal(agent, amount=8_000_000, stage=stages[0].pk)  # no date: pipeline, not coverage
    make_deal(agent, amount=8_000_000, stage=stages[0].pk, expected_close=f"{year + 1}/02/01")

    figures = sales_kpis(Scope(user=agent), start, end)["pipeline"]

    assert figures["open"] == {"n": 3, "amount": 36_000_000, "weighted": 11_600_000}
    assert figures["coverage"] == {
        "n": 1,
        "weighted": 10_000_000,
        "target": 12_000_000,
        "won": 4_000_000,
        "remaining": 8_000_000,
        "ratio": 1.25,
        "state": "ok",
    }
    won_on(agent, make_deal(agent, amount=9_000_000), tehran(f"{year}/01/03"))
    assert sales_kpis(Scope(user=agent), start, end)["pipeline"]["coverage"]["state"] == "met"


def test_another_teams_deals_change_nothing_for_the_agent(
    agent, admin, other_agent, make_deal, reasons, closed_1404
):
    before = sales_kpis(Scope(user=agent), *YEAR_1404)
    won_on(other_agent, make_deal(other_agent, amount=7_000_000), tehran("1404/02/10"))
    lost_on(other_agent, make_deal(other_agent), reasons[1], tehran("1404/02/11"))

    assert sales_kpis(Scope(user=agent), *YEAR_1404) == before
    for_admin = sales_kpis(Scope(user=admin), *YEAR_1404)
    assert (for_admin["win_rate"]["n"], for_admin["win_rate"]["successes"]) == (8, 4)
    assert for_admin["lost_reasons"]["n"] == 4


def test_filters_narrow_every_figure(agent, manager, closed_1404, make_deal):
    won_on(manager, make_deal(manager, amount=9_000_000), tehran("1404/09/09"))
    only_manager = clean_scope(agent, {"owner": str(manager.pk)})
    result = sales_kpis(only_manager, *YEAR_1404)
    assert (result["win_rate"]["n"], result["deal_size"]["mean"]) == (1, 9_000_000)


# ---- the period --------------------------------------------------------------------------------


def test_period_in_jalali_or_iso_and_any_digits():
    assert clean_period("۱۴۰۴/۰۱/۰۱", "1404/12/29") == YEAR_1404
    assert clean_period("2025-03-21", "2026-03-20") == YEAR_1404
    assert clean_period("", None) == default_period()


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("garbage", "", "from"),
        (XSS, "", "from"),
        ("1404/13/01", "", "from"),
        ("1404/06/01", "1404/01/01", "to"),
        ("1300/01/01", "", "from"),
        ("1380/01/01", "1395/01/01", "to"),
        ("", "2999-01-01", "to"),
    ],
)
def test_bad_periods_say_which_end(start, end, field):
    with pytest.raises(ValidationError) as caught:
        clean_period(start, end)
    assert field in caught.value.message_dict


# ---- API ---------------------------------------------------------------------------------------


def test_api_sales_kpis(api_as, agent, closed_1404):
    response = api_as(agent).get("/api/v1/sales-kpis?from=۱۴۰۴/۰۱/۰۱&to=2026-03-20")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["start"], body["end"]) == ("2025-03-21", "2026-03-20")
    assert body["win_rate"]["n"] == 6 and body["win_rate"]["percent"] == 50.0
    assert body["deal_size"]["mean"] == 2_000_000
    assert body["cycle_days"]["median"] == 20.0
    assert body["lost_reasons"]["n"] == 3
    assert body["pipeline"]["coverage"]["state"] == "no_target"
    empty = api_as(agent).get("/api/v1/sales-kpis?from=1400/01/01&to=1400/12/29").json()
    assert empty["win_rate"] == {
        "n": 0,
        "successes": 0,
        "percent": None,
        "ci_low": None,
        "ci_high": None,
    }


def test_api_sales_kpis_visibility_and_errors(api_as, agent, other_agent, viewer, closed_1404):
    url = "/api/v1/sales-kpis?from=1404/01/01&to=1404/12/29"
    assert api_as(other_agent).get(url).json()["win_rate"]["n"] == 0
    assert api_as(viewer).get(url).json()["win_rate"]["n"] == 6
    refused = api_as(other_agent).get(f"{url}&team=999999")
    assert refused.status_code == 422 and "team" in refused.json()["error"]["fields"]
    backwards = api_as(agent).get("/api/v1/sales-kpis?from=1404/06/01&to=1404/01/01")
    assert backwards.status_code == 422 and "to" in backwards.json()["error"]["fields"]


# ---- the page ----------------------------------------------------------------------------------


def test_kpis_page_shows_n_and_intervals(web_as, agent, closed_1404, reasons):
    LostReason.objects.filter(pk=reasons[1].pk).update(name=XSS)
    response = web_as(agent).get(reverse("sales:kpis"), {"from": "۱۴۰۴/۰۱/۰۱", "to": "1404/12/29"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "n = ۶" in page  # six closed deals behind the win rate
    assert "۵۰.۰٪" in page
    assert ESCAPED in page and XSS not in page
    assert 'value="1404/01/01"' in page  # the period, back in Jalali


def test_kpis_page_without_data_says_so(web_as, agent):
    page = web_as(agent).get(reverse("sales:kpis"), {"from": "1400/01/01", "to": "1400/12/29"})
    text = page.content.decode()
    assert "n = ۰" in text
    assert "٪" not in text.split('id="win-rate"')[1].split("</section>")[0]


def test_kpis_page_bad_period(web_as, agent):
    response = web_as(agent).get(reverse("sales:kpis"), {"from": "۱۴۰۴/۱۳/۰۱"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "is-invalid" in page and 'value="۱۴۰۴/۱۳/۰۱"' in page
