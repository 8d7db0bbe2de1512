"""The global search page and the trash: find, restore and purge, each within visibility."""

import pytest
from django.urls import reverse

from peyvand.accounts.models import Role
from peyvand.activities import services as activities
from peyvand.activities.models import Activity
from peyvand.core.models import AuditEvent
from peyvand.customers import services
from peyvand.customers.models import Organization, Person


def body(response) -> str:
    return response.content.decode()


# ---- search -----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["علي", "كريمي", "علی کریمی", "۰۹۱۲۱۲۳", "٠٩١٢١٢٣", "+98912123"])
def test_search_finds_a_person_however_typed(agent, web_as, make_person, query):
    person = make_person(agent, first_name="علی", last_name="کریمی", phones=["09121234567"])
    response = web_as(agent).get(reverse("core:search"), {"q": query})
    html = body(response)
    # A single hit is still listed, not redirected to.
    assert response.status_code == 200
    assert '<html lang="fa" dir="rtl">' in html
    assert reverse("customers:person_detail", args=[person.pk]) in html


def test_search_finds_organizations_and_people_by_organization(agent, web_as, make_person):
    org = services.create_organization(agent, {"name": "فولاد مباركه"})
    person = make_person(agent, organizations=[{"organization": org.pk}])
    html = body(web_as(agent).get(reverse("core:search"), {"q": "مبارکه"}))
    assert reverse("customers:organization_detail", args=[org.pk]) in html
    assert reverse("customers:person_detail", args=[person.pk]) in html


@pytest.mark.parametrize(
    "query", ["", "   ", "<script>alert(1)</script>", "x" * 1_000_000, "'; --"]
)
def test_search_handles_empty_and_hostile_queries(agent, web_as, query):
    response = web_as(agent).get(reverse("core:search"), {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in body(response)


def test_search_hides_other_teams_records(agent, other_agent, web_as, make_person):
    make_person(agent, last_name="کریمی")
    response = web_as(other_agent).get(reverse("core:search"), {"q": "کریمی"})
    assert response.context["results"] == {"people": [], "organizations": []}


# ---- trash ------------------------------------------------------------------------------


@pytest.fixture
def trashed_set(agent, make_person, make_organization):
    """One trashed person, organisation and activity, all owned by ``agent`` (team A)."""
    person = make_person(agent, last_name="حذف‌شده")
    org = make_organization(agent, name="سازمان حذف‌شده")
    activity = activities.create_activity(
        agent, {"kind": "note", "subject": "یادداشت حذف‌شده", "person": person.pk}
    )
    activities.trash_activity(agent, activity)
    services.trash(agent, person)
    services.trash(agent, org)
    return {"person": person, "organization": org, "activity": activity}


def test_trash_lists_what_the_user_may_see(agent, other_agent, web_as, trashed_set):
    html = body(web_as(agent).get(reverse("core:trash")))
    assert '<html lang="fa" dir="rtl">' in html
    for name in ("حذف‌شده", "سازمان حذف‌شده", "یادداشت حذف‌شده"):
        assert name in html
    assert "حذف‌شده" not in body(web_as(other_agent).get(reverse("core:trash")))


@pytest.mark.parametrize("kind", ["person", "organization", "activity"])
def test_owner_restores_from_trash(agent, web_as, trashed_set, kind):
    obj = trashed_set[kind]
    response = web_as(agent).post(reverse("core:trash_restore", args=[kind, obj.pk]))
    assert response.status_code == 302
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert AuditEvent.objects.filter(action="restore", object_id=obj.pk).exists()


@pytest.mark.parametrize("kind", ["person", "organization", "activity"])
def test_manager_purges_and_agent_may_not(agent, manager, web_as, trashed_set, kind):
    obj = trashed_set[kind]
    model = type(obj)
    url = reverse("core:trash_purge", args=[kind, obj.pk])
    response = web_as(agent).post(url, follow=True)
    assert "alert-danger" in body(response)
    assert model.all_objects.filter(pk=obj.pk).exists()
    web_as(manager).post(url)
    assert not model.all_objects.filter(pk=obj.pk).exists()


def test_viewer_sees_trash_but_cannot_restore(viewer, web_as, trashed_set):
    client = web_as(viewer)
    html = body(client.get(reverse("core:trash")))
    assert "حذف‌شده" in html
    assert reverse("core:trash_restore", args=["person", trashed_set["person"].pk]) not in html
    person = trashed_set["person"]
    response = client.post(reverse("core:trash_restore", args=["person", person.pk]), follow=True)
    assert "alert-danger" in body(response)
    assert Person.trashed.filter(pk=person.pk).exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_other_team_cannot_touch_the_trash(role, make_user, team_b, web_as, trashed_set):
    client = web_as(make_user(role, [team_b]))
    for kind, obj in trashed_set.items():
        for name in ("core:trash_restore", "core:trash_purge"):
            assert client.post(reverse(name, args=[kind, obj.pk])).status_code == 404
    assert Person.trashed.count() == 1 and Organization.trashed.count() == 1
    assert Activity.trashed.count() == 1


def test_trash_rejects_unknown_kinds_live_records_and_get(agent, web_as, make_person):
    person = make_person(agent)
    client = web_as(agent)
    assert client.post(reverse("core:trash_restore", args=["user", person.pk])).status_code == 404
    assert client.post(reverse("core:trash_purge", args=["person", person.pk])).status_code == 404
    assert client.get(reverse("core:trash_restore", args=["person", person.pk])).status_code == 405
    assert Person.objects.filter(pk=person.pk).exists()
