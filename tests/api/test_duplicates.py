"""API of duplicates: 409 with candidates, allow_duplicate, the queue, merge and undo."""

import pytest

from peyvand.customers import duplicates, services
from peyvand.customers.models import DuplicatePair, Merge, Person

ALI = {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}


def test_create_answers_409_with_candidates(agent, api_as):
    original = services.create_person(agent, {**ALI, "emails": ["ali@example.com"]})
    client = api_as(agent)
    response = client.post(
        "/api/v1/persons",
        {"first_name": "علي", "last_name": "كريمي", "phones": ["۰۹۱۲ ۱۲۳ ۴۵۶۷"]},
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "possible_duplicate"
    assert error["message"]
    assert error["fields"] == {}
    (candidate,) = error["candidates"]
    assert candidate["id"] == original.pk
    assert candidate["name"] == "علی کریمی"
    assert candidate["phones"] == ["+989121234567"]
    assert candidate["emails"] == ["ali@example.com"]
    assert 0.5 <= candidate["score"] <= 1
    assert Person.objects.count() == 1


def test_allow_duplicate_creates(agent, api_as):
    services.create_person(agent, ALI)
    response = api_as(agent).post("/api/v1/persons?allow_duplicate=true", ALI)
    assert response.status_code == 201
    assert Person.objects.count() == 2


def test_patch_that_makes_a_duplicate_answers_409(agent, api_as):
    services.create_person(agent, ALI)
    other = services.create_person(agent, {"first_name": "علی", "last_name": "کریمی"})
    client = api_as(agent)
    response = client.patch(f"/api/v1/persons/{other.pk}", {"phones": ["09121234567"]})
    assert response.status_code == 409
    assert response.json()["error"]["candidates"]
    assert not Person.objects.get(pk=other.pk).phones.exists()
    response = client.patch(
        f"/api/v1/persons/{other.pk}?allow_duplicate=true", {"phones": ["09121234567"]}
    )
    assert response.status_code == 200


def test_another_teams_record_never_leaks_into_candidates(agent, other_agent, api_as):
    services.create_person(other_agent, {**ALI, "last_name": "پنهان"})
    response = api_as(agent).post("/api/v1/persons", {**ALI, "last_name": "پنهان"})
    assert response.status_code == 201
    assert "candidates" not in response.content.decode()


@pytest.mark.parametrize("flag", ["maybe", "<script>", "=1+1"])
def test_garbage_allow_duplicate_is_a_422(agent, api_as, flag):
    response = api_as(agent).post(f"/api/v1/persons?allow_duplicate={flag}", ALI)
    assert response.status_code == 422
    assert not Person.objects.exists()


def _pair(owner):
    a = services.create_person(owner, ALI)
    b = services.create_person(owner, ALI, allow_duplicate=True)
    return DuplicatePair.objects.create(person_a=a, person_b=b, score=0.9, reasons=["phone"])


def test_queue_lists_visible_pairs_best_first(agent, other_agent, api_as):
    mine = _pair(agent)
    theirs = _pair(other_agent)
    weaker = DuplicatePair.objects.create(
        person_a=services.create_person(agent, {"last_name": "یک"}),
        person_b=services.create_person(agent, {"last_name": "دو"}),
        score=0.6,
        reasons=["name"],
    )
    body = api_as(agent).get("/api/v1/duplicates").json()
    assert [item["id"] for item in body["items"]] == [mine.pk, weaker.pk]
    first = body["items"][0]
    assert first["person_a"]["phones"] == ["+989121234567"]
    assert first["reasons"] == ["phone"]
    assert theirs.pk not in [item["id"] for item in body["items"]]
    page = api_as(agent).get("/api/v1/duplicates?limit=۱").json()
    assert len(page["items"]) == 1 and page["next_cursor"]


def test_dismiss(agent, other_agent, api_as):
    pair = _pair(agent)
    assert api_as(other_agent).post(f"/api/v1/duplicates/{pair.pk}/dismiss").status_code == 404
    response = api_as(agent).post(f"/api/v1/duplicates/{pair.pk}/dismiss")
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    assert api_as(agent).get("/api/v1/duplicates").json()["items"] == []


def test_merge_and_undo(agent, api_as):
    pair = _pair(agent)
    survivor, other = pair.person_a, pair.person_b
    client = api_as(agent)
    response = client.post(
        f"/api/v1/persons/{survivor.pk}/merge",
        {"other": other.pk, "choices": {"first_name": "other"}, "versions": {"survivor": 1}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["survivor"] == survivor.pk and body["merged"] == other.pk
    assert body["skipped"][0]["model"] == "customers.phone"  # the same number twice
    assert client.get(f"/api/v1/persons/{other.pk}").status_code == 404
    response = client.post(f"/api/v1/merges/{body['id']}/undo")
    assert response.status_code == 200
    assert response.json()["undone_at"]
    assert client.get(f"/api/v1/persons/{other.pk}").status_code == 200
    assert client.post(f"/api/v1/merges/{body['id']}/undo").status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"other": "abc"},
        {"other": 0},
        {"other": 2**70},
        {"other": None},
        {"choices": {"first_name": "other"}},
    ],
)
def test_merge_with_bad_input_is_a_422(agent, api_as, body):
    pair = _pair(agent)
    response = api_as(agent).post(f"/api/v1/persons/{pair.person_a_id}/merge", body)
    assert response.status_code == 422
    assert not Merge.objects.exists()


def test_merge_with_bad_choices_names_the_field(agent, api_as):
    pair = _pair(agent)
    response = api_as(agent).post(
        f"/api/v1/persons/{pair.person_a_id}/merge",
        {"other": pair.person_b_id, "choices": {"first_name": "<b>both</b>"}},
    )
    assert response.status_code == 422
    assert "choices.first_name" in response.json()["error"]["fields"]
    assert not Merge.objects.exists()


def test_merge_with_another_teams_person_is_a_422_that_leaks_nothing(agent, other_agent, api_as):
    mine = services.create_person(agent, ALI)
    theirs = services.create_person(other_agent, {**ALI, "last_name": "پنهانی"})
    response = api_as(agent).post(f"/api/v1/persons/{mine.pk}/merge", {"other": theirs.pk})
    assert response.status_code == 422
    assert "پنهانی" not in response.content.decode()
    missing = api_as(agent).post(f"/api/v1/persons/{mine.pk}/merge", {"other": 10**9})
    assert missing.json()["error"] == response.json()["error"]
    assert Person.objects.filter(pk=theirs.pk).exists()


def test_merge_with_stale_version_is_a_409(agent, api_as):
    pair = _pair(agent)
    response = api_as(agent).post(
        f"/api/v1/persons/{pair.person_a_id}/merge",
        {"other": pair.person_b_id, "versions": {"other": 7}},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_conflict"


def test_scan_is_for_managers(agent, manager, api_as, django_capture_on_commit_callbacks):
    assert api_as(agent).post("/api/v1/duplicates/scan").status_code == 403
    _pair(agent)
    DuplicatePair.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(manager).post("/api/v1/duplicates/scan")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert DuplicatePair.objects.count() == 1
    assert DuplicatePair.objects.get().score >= duplicates.THRESHOLD
