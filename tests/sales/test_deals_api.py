"""Deals, pipelines, lost reasons, competitors and cadences through the API."""

import pytest

from peyvand.sales import deals
from peyvand.sales.models import Deal, Pipeline, StageChange

from .deal_fixtures import *  # noqa: F403 (fixtures)

XSS = "<script>alert(1)</script>"


@pytest.fixture
def api(api_as, agent):
    return api_as(agent)


def test_deal_round_trip(api, agent, stages, product, competitor, make_person):
    person = make_person(agent)
    created = api.post(
        "/api/v1/deals",
        {
            "title": "قرارداد پشتیبانی",
            "amount": "۱۲۰٬۰۰۰٬۰۰۰",
            "expected_close": "1405/02/15",
            "person": person.pk,
            "products": [{"product": product.pk, "quantity": 2}, product.pk],
            "competitors": ["رقیب اول"],
            "source": "referral",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert created["ETag"] == '"1"'
    assert created["Location"].endswith(f"/api/v1/deals/{body['id']}")
    assert body["amount"] == 120_000_000 and body["expected_close"] == "2026-05-05"
    assert (body["stage"], body["status"], body["is_rotting"]) == (stages[0].pk, "open", False)
    assert body["products"] == [
        {"product": product.pk, "name": product.name, "quantity": "2", "unit_price": 25_000_000},
        {"product": product.pk, "name": product.name, "quantity": "1", "unit_price": 25_000_000},
    ]
    assert body["competitors"] == [competitor.pk]
    assert (body["owner"], body["team"], body["person"]) == (agent.pk, agent.team_ids[0], person.pk)
    url = f"/api/v1/deals/{body['id']}"
    assert api.get(url).json() == body

    patched = api.patch(url, {"title": "قرارداد دوساله"}, headers={"If-Match": '"1"'})
    assert patched.status_code == 200 and patched["ETag"] == '"2"'
    assert patched.json()["products"] == body["products"]  # what it does not name stays
    stale = api.patch(url, {"title": "دیر", "version": 1})
    assert stale.status_code == 409
    assert api.patch(url, {"title": "دیر"}, headers={"If-Match": '"1"'}).status_code == 412

    moved = api.post(f"{url}/move", {"stage": stages[2].pk, "version": 2})
    assert moved.status_code == 200 and moved.json()["stage"] == stages[2].pk
    history = api.get(f"{url}/history").json()
    assert [h["to_stage_name"] for h in history] == [stages[0].name, stages[2].name]
    assert history[-1]["ongoing"] and history[0]["seconds"] is not None

    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
    restored = api.post(f"{url}/restore")
    assert restored.status_code == 200 and restored.json()["title"] == "قرارداد دوساله"


def test_win_lose_reopen(api, agent, make_deal, reason):
    deal = make_deal(agent)
    url = f"/api/v1/deals/{deal.pk}"
    missing = api.post(f"{url}/lose", {"note": "بدون دلیل"})
    assert missing.status_code == 422
    assert "reason" in missing.json()["error"]["fields"]
    assert api.post(f"{url}/lose", {"reason": "۹۹۹۹"}).status_code == 422
    lost = api.post(f"{url}/lose", {"reason": reason.pk, "note": XSS})
    assert lost.status_code == 200, lost.content
    assert (lost.json()["status"], lost.json()["lost_reason"]) == ("lost", reason.pk)
    assert lost.json()["lost_note"] == XSS
    assert api.post(f"{url}/win").status_code == 422  # closed: reopen first
    assert api.post(f"{url}/reopen").json()["status"] == "open"
    assert api.post(f"{url}/win", headers={"If-Match": '"1"'}).status_code == 412
    won = api.post(f"{url}/win")
    assert won.json()["status"] == "won" and won.json()["closed_at"]


def test_list_filters_count_and_paging(api, agent, other_agent, product, stages, make_deal):
    for i in range(3):
        make_deal(agent, title=f"معامله {i}", amount=i + 1, expected_close="1405/01/10")
    make_deal(agent, title="با محصول", products=[product.pk], stage=stages[1].pk)
    make_deal(other_agent, title="تیم دیگر")
    page = api.get("/api/v1/deals?limit=2&sort=-amount")
    body = page.json()
    assert page.status_code == 200 and body["count"] == 4 and body["count_is_exact"]
    assert len(body["items"]) == 2 and body["next_cursor"]
    rest = api.get(f"/api/v1/deals?limit=2&sort=-amount&cursor={body['next_cursor']}").json()
    titles = {d["title"] for d in body["items"] + rest["items"]}
    assert "تیم دیگر" not in titles and len(titles) == 4

    def titles_for(query):
        return sorted(d["title"] for d in api.get(f"/api/v1/deals?{query}").json()["items"])

    assert titles_for(f"product={product.pk}") == ["با محصول"]
    assert titles_for(f"stage={stages[1].pk}") == ["با محصول"]
    assert len(titles_for("close_year=۱۴۰۵&close_month=۱")) == 3
    assert titles_for("q=محصول") == ["با محصول"]
    bad = api.get("/api/v1/deals?close_month=5&owner=x&sort=title")
    assert bad.status_code == 422


def test_bad_input_changes_nothing(api):
    cases = [
        {"title": ""},
        {"title": "x" * 300},
        {"title": "الف", "amount": "-1"},
        {"title": "الف", "amount": "12.5"},
        {"title": "الف", "expected_close": "2026-02-30"},
        {"title": "الف", "products": [{"product": "x"}]},
        {"title": "الف", "person": 10**30},
        {"title": ["not", "text"]},
    ]
    for data in cases:
        answer = api.post("/api/v1/deals", data)
        assert answer.status_code == 422, (data, answer.content)
        assert answer.json()["error"]["fields"]
    assert not Deal.all_objects.exists()


def test_other_teams_deal_does_not_exist_and_viewers_only_read(
    api_as, agent, other_agent, viewer, make_deal, stages, reason
):
    deal = make_deal(agent)
    url = f"/api/v1/deals/{deal.pk}"
    stranger = api_as(other_agent)
    assert stranger.get(url).status_code == 404
    assert stranger.patch(url, {"title": "x"}).status_code == 404
    assert stranger.post(f"{url}/move", {"stage": stages[1].pk}).status_code == 404
    assert stranger.post(f"{url}/lose", {"reason": reason.pk}).status_code == 404
    assert stranger.get(f"{url}/history").status_code == 404
    assert stranger.delete(url).status_code == 404
    assert stranger.get("/api/v1/deals").json()["count"] == 0
    reader = api_as(viewer)
    assert reader.get(url).status_code == 200
    assert reader.post("/api/v1/deals", {"title": "x"}).status_code == 403
    assert reader.patch(url, {"title": "x"}).status_code == 403
    assert reader.post(f"{url}/move", {"stage": stages[1].pk}).status_code == 403
    assert reader.post(f"{url}/win").status_code == 403
    assert reader.delete(url).status_code == 403
    deal.refresh_from_db()
    assert (deal.title, deal.stage, deal.status, deal.version) == (
        "فروش نرم‌افزار",
        stages[0],
        "open",
        1,
    )
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_pipelines_settings(api_as, manager, agent):
    listed = api_as(agent).get("/api/v1/pipelines")
    assert listed.status_code == 200
    default = listed.json()["items"][0]
    assert default["name"] == "فروش" and len(default["stages"]) == 4
    assert default["stages"][0]["rotting_days"] == 14
    assert api_as(agent).post("/api/v1/pipelines", {"name": "x"}).status_code == 403
    boss = api_as(manager)
    made = boss.post(
        "/api/v1/pipelines",
        {"name": "اجاره", "stages": [{"name": "تماس اول", "probability": "۲۰", "rotting_days": 3}]},
    )
    assert made.status_code == 201, made.content
    pid = made.json()["id"]
    added = boss.post(f"/api/v1/pipelines/{pid}/stages", {"name": "امضا", "probability": 90})
    assert [s["name"] for s in added.json()["stages"]] == ["تماس اول", "امضا"]
    sid = added.json()["stages"][1]["id"]
    moved = boss.patch(f"/api/v1/pipelines/{pid}/stages/{sid}", {"position": 0})
    assert [s["name"] for s in moved.json()["stages"]] == ["امضا", "تماس اول"]
    bad = boss.patch(f"/api/v1/pipelines/{pid}/stages/{sid}", {"probability": 101})
    assert bad.status_code == 422 and "probability" in bad.json()["error"]["fields"]
    renamed = boss.patch(f"/api/v1/pipelines/{pid}", {"name": XSS, "is_active": False})
    assert renamed.json()["name"] == XSS and renamed.json()["is_active"] is False
    active = api_as(agent).get("/api/v1/pipelines?active=true").json()["items"]
    assert [p["name"] for p in active] == ["فروش"]
    assert boss.delete(f"/api/v1/pipelines/{pid}/stages/{sid}").status_code == 204
    assert boss.get("/api/v1/pipelines/999999").status_code == 404
    assert Pipeline.objects.filter(pk=pid).exists()


def test_deleting_a_stage_with_deals_asks_where_they_go(api_as, manager, agent, stages, make_deal):
    deal = make_deal(agent, stage=stages[1].pk)
    url = f"/api/v1/pipelines/{stages[1].pipeline_id}/stages/{stages[1].pk}"
    refused = api_as(manager).delete(url)
    assert refused.status_code == 422 and "move_to" in refused.json()["error"]["fields"]
    assert api_as(manager).delete(f"{url}?move_to={stages[3].pk}").status_code == 204
    deal.refresh_from_db()
    assert deal.stage == stages[3]


def test_lost_reasons_and_competitors(api_as, manager, agent):
    reasons = api_as(agent).get("/api/v1/lost-reasons").json()["items"]
    assert "قیمت بالا" in [r["name"] for r in reasons]
    boss = api_as(manager)
    made = boss.post("/api/v1/lost-reasons", {"name": "بودجه تمام شد"})
    assert made.status_code == 201
    assert boss.post("/api/v1/lost-reasons", {"name": "بودجه تمام شد"}).status_code == 422
    off = boss.patch(f"/api/v1/lost-reasons/{made.json()['id']}", {"is_active": False})
    assert off.json()["is_active"] is False
    active = api_as(agent).get("/api/v1/lost-reasons?active=1").json()["items"]
    assert "بودجه تمام شد" not in [r["name"] for r in active]
    assert api_as(agent).post("/api/v1/competitors", {"name": "x"}).status_code == 403
    rival = boss.post("/api/v1/competitors", {"name": "همکاران", "website": "rival.ir"})
    assert rival.json()["website"] == "https://rival.ir"
    assert (
        boss.patch(f"/api/v1/competitors/{rival.json()['id']}", {"website": "x y"}).status_code
        == 422
    )
    assert [c["name"] for c in api_as(agent).get("/api/v1/competitors").json()["items"]] == [
        "همکاران"
    ]


def test_activities_on_a_deal_through_the_api(api, agent, make_deal):
    deal = make_deal(agent)
    logged = api.post("/api/v1/activities", {"kind": "note", "subject": "یادداشت", "deal": deal.pk})
    assert logged.status_code == 201, logged.content
    assert logged.json()["deal"] == deal.pk
    listed = api.get(f"/api/v1/activities?deal={deal.pk}").json()["items"]
    assert [a["subject"] for a in listed] == ["یادداشت"]
    before = deal.last_activity_at
    deal.refresh_from_db()
    assert deal.last_activity_at >= before


def test_idempotent_create(api):
    headers = {"Idempotency-Key": "deal-1"}
    first = api.post("/api/v1/deals", {"title": "یک بار"}, headers=headers)
    again = api.post("/api/v1/deals", {"title": "یک بار"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert deals.visible_deals(api.user).count() == 1
