"""Leads through the API: round trips, lists, versions, conversion, the score model, and
who may see or change what."""

import pytest

from peyvand.customers.models import Person
from peyvand.sales import leads, scoring
from peyvand.sales.models import Deal, Lead
from tests.sales import leads_fixtures
from tests.sales.leads_fixtures import TEHRAN
from tests.sales.test_scoring import synthetic_history

make_lead = leads_fixtures.make_lead
product = leads_fixtures.product

XSS = "<script>alert(1)</script>"


@pytest.fixture
def api(api_as, agent):
    return api_as(agent)


def test_lead_round_trip(api, agent, team_a, product):
    created = api.post(
        "/api/v1/leads",
        {
            "first_name": "سارا",
            "last_name": XSS,
            "phone": "۰۹۱۲۷۷۷۸۸۹۹",
            "email": "Sara@Example.IR",
            "national_id": "۰۰۱۲۳۴۵۶۷۹",
            "province": TEHRAN,
            "product_interest": str(product.pk),
            "source": "social",
            "utm_source": "instagram",
            "utm_campaign": "پاییز",
            "landing_page": "https://shop.example.ir/?utm_source=instagram",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert created["ETag"] == '"1"'
    assert created["Location"].endswith(f"/api/v1/leads/{body['id']}")
    assert body["phone"] == "+989127778899"
    assert body["email"] == "sara@example.ir"
    assert body["national_id"] == "0012345679"
    assert body["last_name"] == XSS  # JSON carries text; pages escape it
    assert (body["owner"], body["team"], body["status"]) == (agent.pk, team_a.pk, "new")
    assert (body["province"], body["product_interest"]) == (TEHRAN, product.pk)
    fetched = api.get(f"/api/v1/leads/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


def test_list_filters_search_and_counts(api, agent, make_lead):
    make_lead(agent, first_name="علی", last_name="رضایی", phone="09121234567", source="website")
    make_lead(agent, last_name="کاظمی", source="referral", utm_campaign="بهار")
    make_lead(agent, last_name="موسوی", source="referral", utm_campaign="پاییز")
    body = api.get("/api/v1/leads").json()
    assert (body["count"], body["count_is_exact"], len(body["items"])) == (3, True, 3)
    assert [i["last_name"] for i in body["items"]] == ["موسوی", "کاظمی", "رضایی"]
    assert api.get("/api/v1/leads?q=علي").json()["count"] == 1
    assert api.get("/api/v1/leads?q=۰۹۱۲۱۲۳").json()["count"] == 1
    assert api.get("/api/v1/leads?source=referral").json()["count"] == 2
    assert api.get("/api/v1/leads?campaign=بهار").json()["items"][0]["last_name"] == "کاظمی"
    assert api.get(f"/api/v1/leads?owner={agent.pk}&status=new").json()["count"] == 3
    first = api.get("/api/v1/leads?limit=2").json()
    rest = api.get(f"/api/v1/leads?limit=2&cursor={first['next_cursor']}").json()
    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None


def test_bad_list_parameters_are_422(api):
    for query in ("sort=name", "owner=abc", "cursor=garbage", "limit=0"):
        response = api.get(f"/api/v1/leads?{query}")
        assert response.status_code == 422, query


def test_bad_input_is_422_per_field(api):
    response = api.post(
        "/api/v1/leads",
        {"last_name": "", "phone": "x", "email": "@", "national_id": "123", "owner": "999999"},
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {
        "last_name",
        "phone",
        "email",
        "national_id",
        "owner",
    }
    assert api.post("/api/v1/leads", {"last_name": ["list"]}).status_code == 422
    assert not Lead.all_objects.exists()


def test_patch_honours_if_match_and_versions(api, agent, make_lead):
    lead = make_lead(agent)
    url = f"/api/v1/leads/{lead.pk}"
    response = api.patch(url, {"status": "contacted"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200 and response["ETag"] == '"2"'
    assert api.patch(url, {"company": "x"}, headers={"If-Match": '"1"'}).status_code == 412
    assert api.patch(url, {"company": "x", "version": 1}).status_code == 409
    assert api.patch(url, {"status": "converted"}).status_code == 422
    assert Lead.objects.get(pk=lead.pk).company == ""


def test_delete_and_restore(api, agent, make_lead):
    lead = make_lead(agent)
    assert api.delete(f"/api/v1/leads/{lead.pk}").status_code == 204
    assert api.get(f"/api/v1/leads/{lead.pk}").status_code == 404
    assert api.get("/api/v1/leads").json()["count"] == 0
    restored = api.post(f"/api/v1/leads/{lead.pk}/restore")
    assert restored.status_code == 200 and restored.json()["version"] == 3


def test_convert_and_refuse_a_second_time(api, agent, make_lead):
    lead = make_lead(agent, first_name="نادر", phone="09123456789", company="شرکت گاما")
    response = api.post(
        f"/api/v1/leads/{lead.pk}/convert",
        {"deal": {"title": "گاما", "amount": "۵۰۰۰۰۰۰", "expected_close": "2026-06-01"}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    deal = Deal.objects.get(pk=body["deal"])
    assert (deal.amount, deal.expected_close.isoformat()) == (5_000_000, "2026-06-01")
    assert body["lead"]["status"] == "converted"
    assert body["lead"]["person"] == body["person"] == deal.person_id
    assert Person.objects.get(pk=body["person"]).phones.get().number == "+989123456789"
    again = api.post(f"/api/v1/leads/{lead.pk}/convert", {})
    assert again.status_code == 422
    assert "status" in again.json()["error"]["fields"]


def test_convert_without_a_deal_and_with_a_bad_one(api, agent, make_lead):
    lead = make_lead(agent)
    bad = api.post(f"/api/v1/leads/{lead.pk}/convert", {"deal": {"amount": "ده"}})
    assert bad.status_code == 422 and "deal.amount" in bad.json()["error"]["fields"]
    assert not Person.objects.exists()
    response = api.post(f"/api/v1/leads/{lead.pk}/convert", {"create_deal": False})
    assert response.status_code == 200 and response.json()["deal"] is None


def test_disqualify(api, agent, make_lead):
    lead = make_lead(agent)
    url = f"/api/v1/leads/{lead.pk}/disqualify"
    assert api.post(url, {}).status_code == 422
    response = api.post(url, {"reason": "شماره اشتباه", "version": 1})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["disqualify_reason"]) == (
        "disqualified",
        "شماره اشتباه",
    )


def test_a_lead_of_another_team_does_not_exist(api_as, agent, other_agent, make_lead):
    lead = make_lead(agent)
    them = api_as(other_agent)
    for response in (
        them.get(f"/api/v1/leads/{lead.pk}"),
        them.patch(f"/api/v1/leads/{lead.pk}", {"company": "x"}),
        them.delete(f"/api/v1/leads/{lead.pk}"),
        them.post(f"/api/v1/leads/{lead.pk}/convert", {}),
        them.post(f"/api/v1/leads/{lead.pk}/disqualify", {"reason": "x"}),
    ):
        assert response.status_code == 404
    assert them.get("/api/v1/leads").json()["count"] == 0
    assert them.get(f"/api/v1/leads?q={lead.last_name}").json()["items"] == []


def test_a_viewer_reads_but_never_writes(api_as, viewer, agent, make_lead):
    lead = make_lead(agent)
    reader = api_as(viewer)
    assert reader.get(f"/api/v1/leads/{lead.pk}").status_code == 200
    assert reader.post("/api/v1/leads", {"last_name": "x"}).status_code == 403
    assert reader.patch(f"/api/v1/leads/{lead.pk}", {"company": "x"}).status_code == 403
    assert reader.delete(f"/api/v1/leads/{lead.pk}").status_code == 403
    assert reader.post(f"/api/v1/leads/{lead.pk}/convert", {}).status_code == 403
    assert reader.post("/api/v1/leads/score-model/train").status_code == 403


def test_an_agent_trashes_only_their_own(api_as, agent, make_user, team_a, make_lead):
    from peyvand.accounts.models import Role

    lead = make_lead(make_user(Role.AGENT, [team_a]))
    assert api_as(agent).delete(f"/api/v1/leads/{lead.pk}").status_code == 403


def test_an_api_lead_follows_the_assignment_rules(api, admin, make_user, team_b):
    from peyvand.accounts.models import Role

    seller = make_user(Role.AGENT, [team_b])
    leads.create_assignment_rule(
        admin, {"name": "اینستاگرام", "source": "social", "team": team_b.pk}
    )
    response = api.post("/api/v1/leads", {"last_name": "واگذار", "source": "social"})
    assert response.status_code == 201
    assert (response.json()["owner"], response.json()["team"]) == (seller.pk, team_b.pk)


def test_the_same_idempotency_key_creates_one_lead(api):
    headers = {"Idempotency-Key": "lead-1"}
    first = api.post("/api/v1/leads", {"last_name": "یکتا"}, headers=headers)
    second = api.post("/api/v1/leads", {"last_name": "یکتا"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Lead.objects.count() == 1


def test_score_model_with_too_little_history(api_as, manager, agent):
    synthetic_history(agent, 12, seed=2)
    client = api_as(manager)
    assert client.get("/api/v1/leads/score-model").json()["is_usable"] is False
    trained = client.post("/api/v1/leads/score-model/train", headers={"Accept-Language": "en"})
    assert trained.status_code == 200
    body = trained.json()
    assert (body["is_usable"], body["auc"], body["samples"]) == (False, None, 12)
    assert f"{body['won']} won / {body['lost']} lost" in body["note"]
    assert "Not enough history" in body["note"]
    assert api_as(agent).post("/api/v1/leads/score-model/train").status_code == 403


def test_score_model_and_predicted_factors(api_as, manager, agent):
    synthetic_history(agent, 400, seed=4)
    lead = leads.create_lead(
        agent, {"last_name": "امیدوار", "source": "referral", "email": "o@example.ir"}
    )
    scoring.train()
    model = api_as(manager).get("/api/v1/leads/score-model", headers={"Accept-Language": "en"})
    body = model.json()
    assert body["is_usable"] is True and body["auc"] > 0.6 and body["holdout_size"] == 100
    assert "AUC" in body["note"]
    detail = api_as(agent).get(f"/api/v1/leads/{lead.pk}", headers={"Accept-Language": "en"})
    factors = detail.json()["predicted_factors"]
    assert detail.json()["predicted_score"] > 0.5
    assert factors and all({"feature", "label", "weight"} <= set(f) for f in factors)
    assert "Source: Referral" in [f["label"] for f in factors]
