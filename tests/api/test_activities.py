"""Activities through the API: logging, follow-ups, completing, filters."""

import pytest

from peyvand.activities.models import Activity


@pytest.fixture
def api(api_as, agent):
    return api_as(agent)


@pytest.fixture
def person(agent, make_person):
    return make_person(agent, last_name="کریمی")


def test_follow_up_round_trip(api, agent, person):
    created = api.post(
        "/api/v1/activities",
        {
            "kind": "task",
            "subject": "تماس دوباره",
            "person": person.pk,
            "due_at": "۱۴۱۰/۰۱/۰۱ ۱۰:۳۰",
            "priority": "high",
        },
    )
    assert created.status_code == 201, created.content
    task = created.json()
    assert created["ETag"] == '"1"'
    assert (task["person"], task["assignee"], task["done"]) == (person.pk, agent.pk, False)
    assert task["due_at"] == "2031-03-21T07:00:00Z"  # Nowruz 1410, 10:30 in Tehran

    assert api.get(f"/api/v1/activities/{task['id']}").json() == task
    patched = api.patch(f"/api/v1/activities/{task['id']}", {"subject": "جلسه", "version": 1})
    assert patched.status_code == 200 and patched["ETag"] == '"2"'

    stale = api.post(f"/api/v1/activities/{task['id']}/complete", headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    done = api.post(f"/api/v1/activities/{task['id']}/complete", headers={"If-Match": '"2"'})
    assert done.status_code == 200
    assert done.json()["done"] is True and done.json()["done_at"]

    assert api.delete(f"/api/v1/activities/{task['id']}").status_code == 204
    assert api.get(f"/api/v1/activities/{task['id']}").status_code == 404
    assert api.post(f"/api/v1/activities/{task['id']}/restore").status_code == 200


def test_iso_datetimes_are_accepted(api, person):
    created = api.post(
        "/api/v1/activities",
        {
            "kind": "meeting",
            "subject": "جلسه",
            "person": person.pk,
            "occurred_at": "2025-01-31T10:00:00+03:30",
            "ends_at": "2025-01-31T11:00:00+03:30",
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["occurred_at"] == "2025-01-31T06:30:00Z"


def test_stale_body_version_is_409(api, person):
    task = api.post(
        "/api/v1/activities", {"kind": "note", "subject": "یادداشت", "person": person.pk}
    ).json()
    api.patch(f"/api/v1/activities/{task['id']}", {"body": "اول"})
    stale = api.patch(f"/api/v1/activities/{task['id']}", {"body": "دوم", "version": 1})
    assert stale.status_code == 409
    assert Activity.objects.get(pk=task["id"]).body == "اول"


def test_validation_errors_name_the_fields(api, person):
    response = api.post(
        "/api/v1/activities",
        {
            "kind": "call",
            "subject": "",
            "person": person.pk,
            "duration_seconds": "forever",
            "direction": "sideways",
            "occurred_at": "1403/13/40",
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {
        "subject",
        "duration_seconds",
        "direction",
        "occurred_at",
    }
    no_customer = api.post("/api/v1/activities", {"kind": "note", "subject": "x"})
    assert set(no_customer.json()["error"]["fields"]) == {"person"}
    task_without_due = api.post(
        "/api/v1/activities", {"kind": "task", "subject": "x", "person": person.pk}
    )
    assert set(task_without_due.json()["error"]["fields"]) == {"due_at"}
    assert Activity.all_objects.count() == 0


def test_list_filters(api, agent, person, make_person, make_organization):
    other = make_person(agent, last_name="دیگری")
    org = make_organization(agent)

    def make(**data):
        return api.post("/api/v1/activities", data).json()["id"]

    note = make(kind="note", subject="یادداشت", person=person.pk)
    open_task = make(kind="task", subject="پیگیری", person=person.pk, due_at="1410/01/01")
    done_task = make(kind="task", subject="انجام‌شده", person=other.pk, due_at="1410/01/01")
    api.post(f"/api/v1/activities/{done_task}/complete")
    call = make(kind="call", subject="تماس", organization=org.pk)

    def ids(query):
        response = api.get(f"/api/v1/activities?{query}")
        assert response.status_code == 200, response.content
        return {a["id"] for a in response.json()["items"]}

    assert ids("") == {note, open_task, done_task, call}
    assert ids(f"person={person.pk}") == {note, open_task}
    assert ids(f"organization={org.pk}") == {call}
    assert ids("kind=call") == {call}
    assert ids("open=true") == {open_task}
    assert ids("open=false") == {note, done_task, call}
    assert ids(f"assignee={agent.pk}") == {open_task, done_task}
    assert ids("q=تماس") == {call}
    for bad in ("person=abc", "kind=party", "open=maybe", "sort=price"):
        response = api.get(f"/api/v1/activities?{bad}")
        assert response.status_code == 422 and response.json()["error"]["fields"], bad


def test_pages_walk_every_activity_once(api, person):
    for i in range(12):
        api.post("/api/v1/activities", {"kind": "note", "subject": f"n{i}", "person": person.pk})
    for sort in ("-occurred", "occurred"):
        seen, cursor = [], None
        while True:
            page = api.get(
                f"/api/v1/activities?limit=5&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
            ).json()
            seen += [a["id"] for a in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 12


def test_script_payload_in_subject_is_stored_as_text(api, person):
    payload = "<script>alert(1)</script>"
    created = api.post(
        "/api/v1/activities",
        {"kind": "note", "subject": payload, "body": payload, "person": person.pk},
    )
    assert created.status_code == 201
    assert Activity.objects.get(pk=created.json()["id"]).subject == payload
