"""Idempotent POSTs, and the OpenAPI description of the API."""

from django.test import Client

from peyvand.activities.models import Activity
from peyvand.customers.models import Person


def test_replayed_post_returns_the_first_answer_and_creates_nothing(api_as, agent):
    api = api_as(agent)
    headers = {"Idempotency-Key": "create-karimi-1"}
    first = api.post("/api/v1/persons", {"last_name": "کریمی"}, headers=headers)
    again = api.post("/api/v1/persons", {"last_name": "کریمی"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Idempotent-Replayed"] == "true"
    assert Person.all_objects.count() == 1


def test_same_key_with_another_body_is_422(api_as, agent):
    api = api_as(agent)
    headers = {"Idempotency-Key": "k-2"}
    api.post("/api/v1/persons", {"last_name": "کریمی"}, headers=headers)
    reused = api.post("/api/v1/persons", {"last_name": "رضایی"}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert Person.all_objects.count() == 1


def test_keys_belong_to_their_caller(api_as, agent, manager):
    headers = {"Idempotency-Key": "shared"}
    api_as(agent).post("/api/v1/persons", {"last_name": "الف"}, headers=headers)
    api_as(manager).post("/api/v1/persons", {"last_name": "الف"}, headers=headers)
    assert Person.all_objects.count() == 2


def test_a_refused_post_can_be_retried_with_the_same_key(api_as, agent, make_person):
    api = api_as(agent)
    person = make_person(agent)
    headers = {"Idempotency-Key": "note-1"}
    body = {"kind": "note", "subject": "", "person": person.pk}
    assert api.post("/api/v1/activities", body, headers=headers).status_code == 422
    # A validation error is a final answer for that exact body: the replay says the same.
    assert api.post("/api/v1/activities", body, headers=headers).status_code == 422
    good = {**body, "subject": "یادداشت"}
    first = api.post("/api/v1/activities", good, headers={"Idempotency-Key": "note-2"})
    again = api.post("/api/v1/activities", good, headers={"Idempotency-Key": "note-2"})
    assert first.status_code == again.status_code == 201
    assert Activity.objects.count() == 1


def test_openapi_lists_every_path_with_bodies(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/api/v1/persons",
        "/api/v1/persons/{id}",
        "/api/v1/organizations",
        "/api/v1/activities",
        "/api/v1/activities/{id}/complete",
        "/api/v1/tags",
        "/api/v1/custom-fields",
        "/api/v1/users",
        "/api/v1/teams",
        "/api/v1/me",
        "/api/v1/tokens",
    ):
        assert path in paths, path
    create = paths["/api/v1/persons"]["post"]
    assert "requestBody" in create and "201" in create["responses"]
    person = schema["components"]["schemas"]["PersonOut"]["properties"]
    assert {"id", "first_name", "last_name", "phones", "national_id", "version"} <= set(person)
    list_params = {p["name"] for p in paths["/api/v1/persons"]["get"]["parameters"]}
    assert {"q", "limit", "cursor", "tag", "owner", "stage", "city"} <= list_params
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
