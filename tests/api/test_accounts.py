"""Tokens, the caller's account, users and teams, tags and custom fields through the API."""

import pytest
from django.test import Client

from peyvand.accounts.models import ApiToken, Team, User
from peyvand.accounts.services import create_token
from peyvand.customers.models import CustomFieldDefinition, Tag


def test_no_token_or_a_bad_token_is_401(db):
    client = Client()
    for headers in ({}, {"Authorization": "Bearer pv_nonsense"}, {"Authorization": "Basic x"}):
        response = client.get("/api/v1/persons", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


def test_revoked_token_is_401(api_as, agent):
    api = api_as(agent)
    assert api.get("/api/v1/me").status_code == 200
    token_id = ApiToken.objects.get(user=agent).pk
    assert api.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert api.get("/api/v1/me").status_code == 401


def test_inactive_user_is_401(api_as, agent):
    api = api_as(agent)
    User.objects.filter(pk=agent.pk).update(is_active=False)
    assert api.get("/api/v1/me").status_code == 401


def test_new_token_is_shown_once_and_works(api_as, agent):
    api = api_as(agent)
    created = api.post("/api/v1/tokens", {"name": "اسکریپت"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("pv_")
    assert not ApiToken.objects.filter(key_hash=key).exists()  # only the hash is stored
    listed = api.get("/api/v1/tokens").json()["items"]
    assert created.json()["id"] in {t["id"] for t in listed}
    assert all("key" not in t for t in listed)
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert response.json()["email"] == agent.email


def test_someone_elses_token_cannot_be_revoked(api_as, agent, other_agent):
    theirs, raw = create_token(other_agent)
    assert api_as(agent).delete(f"/api/v1/tokens/{theirs.pk}").status_code == 404
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


def test_me_and_language(api_as, agent):
    api = api_as(agent)
    me = api.get("/api/v1/me").json()
    assert (me["email"], me["role"], me["teams"]) == (agent.email, "agent", agent.team_ids)
    assert api.patch("/api/v1/me", {"language": "en"}).json()["language"] == "en"
    # With no Accept-Language, errors follow the user's own language.
    error = api.post("/api/v1/persons", {"last_name": ""})
    assert error.json()["error"]["message"] == "Some fields are not valid."
    assert api.patch("/api/v1/me", {"language": "de"}).status_code == 422


def test_admin_manages_users_and_teams(api_as, admin, team_a):
    api = api_as(admin)
    team = api.post("/api/v1/teams", {"name": "فروش"})
    assert team.status_code == 201
    created = api.post(
        "/api/v1/users",
        {
            "email": "Sara@Example.com",
            "password": "a-Strong-passw0rd!",
            "full_name": "سارا",
            "role": "manager",
            "teams": [team.json()["id"]],
        },
    )
    assert created.status_code == 201, created.content
    user = created.json()
    assert (user["email"], user["role"], user["teams"]) == (
        "sara@example.com",
        "manager",
        [team.json()["id"]],
    )
    patched = api.patch(f"/api/v1/users/{user['id']}", {"role": "agent", "teams": [team_a.pk]})
    assert (patched.json()["role"], patched.json()["teams"]) == ("agent", [team_a.pk])
    renamed = api.patch(f"/api/v1/teams/{team.json()['id']}", {"name": "فروش ویژه"})
    assert renamed.json()["name"] == "فروش ویژه"
    emails = [u["email"] for u in api.get("/api/v1/users").json()["items"]]
    assert "sara@example.com" in emails
    assert {t["name"] for t in api.get("/api/v1/teams").json()["items"]} >= {"فروش ویژه"}


def test_user_errors_name_the_fields(api_as, admin):
    api = api_as(admin)
    bad = api.post("/api/v1/users", {"email": "nope", "password": "1", "role": "king"})
    assert bad.status_code == 422
    assert "email" in bad.json()["error"]["fields"]
    missing = api.post("/api/v1/users", {})
    assert {"email", "password"} <= set(missing.json()["error"]["fields"])
    duplicate = api.post("/api/v1/teams", {"name": Team.objects.create(name="الف").name})
    assert duplicate.status_code == 422 and "name" in duplicate.json()["error"]["fields"]
    demote_self = api.patch(f"/api/v1/users/{admin.pk}", {"role": "agent"})
    assert demote_self.status_code == 422 and "role" in demote_self.json()["error"]["fields"]
    assert api.get("/api/v1/users/999999").status_code == 404


@pytest.mark.parametrize("role", ["manager", "agent", "viewer"])
def test_only_admins_manage_users(api_as, request, role):
    api = api_as(request.getfixturevalue(role))
    assert api.get("/api/v1/users").status_code == 403
    body = {"email": "x@example.com", "password": "a-Strong-passw0rd!", "role": "admin"}
    assert api.post("/api/v1/users", body).status_code == 403
    assert not User.objects.filter(email="x@example.com").exists()


def test_tags_crud(api_as, agent, manager):
    api = api_as(agent)
    created = api.post("/api/v1/tags", {"name": "نمايشگاه", "color": "#aa0000"})
    assert created.status_code == 201
    tag_id = created.json()["id"]
    duplicate = api.post("/api/v1/tags", {"name": "نمایشگاه"})  # same after normalising
    assert duplicate.status_code == 422 and "name" in duplicate.json()["error"]["fields"]
    bad_colour = api.patch(f"/api/v1/tags/{tag_id}", {"color": "red"})
    assert "color" in bad_colour.json()["error"]["fields"]
    assert api.patch(f"/api/v1/tags/{tag_id}", {"color": "#00aa00"}).json()["color"] == "#00aa00"
    assert [t["id"] for t in api.get("/api/v1/tags?q=نمایش").json()["items"]] == [tag_id]
    assert api.delete(f"/api/v1/tags/{tag_id}").status_code == 403  # agents may not
    assert api_as(manager).delete(f"/api/v1/tags/{tag_id}").status_code == 204
    assert not Tag.objects.exists()


def test_custom_fields(api_as, admin, agent):
    api = api_as(admin)
    created = api.post(
        "/api/v1/custom-fields",
        {
            "entity": "person",
            "key": "size",
            "label": "سایز",
            "field_type": "choice",
            "choices": ["S", "M"],
        },
    )
    assert created.status_code == 201, created.content
    field_id = created.json()["id"]
    bad = api.post("/api/v1/custom-fields", {"entity": "x", "key": "1a", "field_type": "choice"})
    assert {"entity", "key", "label"} <= set(bad.json()["error"]["fields"])
    assert api.patch(f"/api/v1/custom-fields/{field_id}", {"label": "اندازه"}).status_code == 200
    listed = api_as(agent).get("/api/v1/custom-fields?entity=person").json()["items"]
    assert [(f["key"], f["label"]) for f in listed] == [("size", "اندازه")]
    # The definition is enforced on records written through the API.
    person = api_as(agent).post("/api/v1/persons", {"last_name": "x", "custom": {"size": "XL"}})
    assert person.status_code == 422 and "custom.size" in person.json()["error"]["fields"]
    assert api_as(agent).post("/api/v1/custom-fields", {"key": "y"}).status_code == 403
    assert CustomFieldDefinition.objects.count() == 1
