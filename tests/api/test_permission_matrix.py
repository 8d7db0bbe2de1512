"""Every API endpoint × every role × a record of the caller's team and of another team.

The endpoint list comes from the registered routes (the OpenAPI paths): an endpoint
added without an entry in MATRIX fails ``test_every_endpoint_is_in_the_matrix``.

Rules checked: a record of another team does not exist for the caller (404, absent
from lists and search, unusable as a reference); viewers get 403 on every write;
admin-only endpoints answer 403 to everyone else; a refused call changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import TestCase

from peyvand.accounts.services import create_token
from peyvand.activities.models import Activity
from peyvand.api import api
from peyvand.customers import services as customers
from peyvand.customers.merge import merge_people
from peyvand.customers.models import DuplicatePair, Organization, Person
from peyvand.transfers.exports import start_export

from .conftest import ROLES

MODELS = {"person": Person, "organization": Organization, "activity": Activity}
WRITERS = ("admin", "manager", "agent", "other_agent")


@dataclass(frozen=True)
class Case:
    """How to call one endpoint and what each role must get.

    kind:
      record      a record of team A or B in the path: invisible → 404, viewer write → 403
      list        200 for all; lists the caller's team's record, never the other team's
      export      200 for all; the file has the caller's team's record, never the other team's
      export_job  a job for all (202); its file has the caller's team's record only
      own         the caller's own export job succeeds; another user's job answers 404
      reference   the body names a record of team A or B: invisible → 422, viewer → 403
      create      viewer → 403, others succeed
      any         everyone succeeds (reads of shared data, the caller's own account)
      admin       admin succeeds, everyone else 403
      managers    admin and manager succeed, agents and viewers 403
      job         an import job in the path: the caller's own succeeds (a viewer's write
                  → 403); another user's → 404, except for an administrator
      upload      a multipart file upload: viewer → 403, others succeed
    """

    kind: str
    ok: int = 200
    resource: str | None = None
    write: bool = False
    # (world, record) → body for "record" and "reference" cases, else (world) → body
    body: Callable | None = None
    target: Callable | None = None  # (world, caller) → the id in the path
    before: Callable | None = None  # (world, record) → prepare the record (e.g. trash it)


def _trash(world, record):
    owner = world.users["agent" if record.team_id == world.team_a.pk else "other_agent"]
    if isinstance(record, Activity):
        from peyvand.activities.services import trash_activity

        trash_activity(owner, record)
    else:
        customers.trash(owner, record)


def _own_token(world, caller):
    return create_token(caller, "to revoke")[0].pk


def _export_job(world, user):
    with TestCase.captureOnCommitCallbacks(execute=True):  # hands the job to the worker
        return start_export(user, "person", "csv", [], {}).pk


def _twin(record):
    """A second record of the same person, in the same team and with the same owner."""
    return customers.create_person(
        record.owner,
        {"first_name": record.first_name, "last_name": record.last_name, "phones": ["09121112233"]},
        allow_duplicate=True,
    )


def _callers_person(world, caller):
    return world.person["B" if caller == world.users["other_agent"] else "A"]


def _callers_pair(world, caller):
    person = _callers_person(world, caller)
    return DuplicatePair.objects.create(
        person_a=person, person_b=_twin(person), score=0.9, reasons=["name"]
    ).pk


def _callers_merge(world, caller):
    person = _callers_person(world, caller)
    return merge_people(person.owner, person, _twin(person)).pk


MATRIX = {
    # customers
    ("GET", "/api/v1/persons"): Case("list", resource="person"),
    ("POST", "/api/v1/persons"): Case(
        "reference",
        ok=201,
        resource="organization",
        body=lambda w, rec: {"last_name": "تازه", "organizations": [rec.pk]},
    ),
    ("GET", "/api/v1/persons/export"): Case("export", resource="person"),
    ("GET", "/api/v1/persons/{id}"): Case("record", resource="person"),
    ("PATCH", "/api/v1/persons/{id}"): Case(
        "record", resource="person", write=True, body=lambda w, rec: {"first_name": "تغییر"}
    ),
    ("DELETE", "/api/v1/persons/{id}"): Case("record", ok=204, resource="person", write=True),
    ("POST", "/api/v1/persons/{id}/restore"): Case(
        "record", resource="person", write=True, before=_trash
    ),
    ("GET", "/api/v1/organizations"): Case("list", resource="organization"),
    ("POST", "/api/v1/organizations"): Case("create", ok=201, body=lambda w: {"name": "تازه"}),
    ("GET", "/api/v1/organizations/export"): Case("export", resource="organization"),
    ("GET", "/api/v1/organizations/{id}"): Case("record", resource="organization"),
    ("PATCH", "/api/v1/organizations/{id}"): Case(
        "record", resource="organization", write=True, body=lambda w, rec: {"industry": "نساجی"}
    ),
    ("DELETE", "/api/v1/organizations/{id}"): Case(
        "record", ok=204, resource="organization", write=True
    ),
    ("POST", "/api/v1/organizations/{id}/restore"): Case(
        "record", resource="organization", write=True, before=_trash
    ),
    # duplicates and merges
    ("POST", "/api/v1/persons/{id}/merge"): Case(
        "record", resource="person", write=True, body=lambda w, rec: {"other": _twin(rec).pk}
    ),
    ("POST", "/api/v1/merges/{id}/undo"): Case("create", target=_callers_merge),
    ("GET", "/api/v1/duplicates"): Case("any"),
    ("POST", "/api/v1/duplicates/{id}/dismiss"): Case("create", target=_callers_pair),
    ("POST", "/api/v1/duplicates/scan"): Case("managers", ok=202),
    # export jobs: a user's own only
    ("POST", "/api/v1/exports"): Case("export_job", ok=202, resource="person"),
    ("GET", "/api/v1/exports"): Case("any"),
    ("GET", "/api/v1/exports/{id}"): Case("own", target=_export_job),
    ("GET", "/api/v1/exports/{id}/download"): Case("own", target=_export_job),
    # activities
    ("GET", "/api/v1/activities"): Case("list", resource="activity"),
    ("POST", "/api/v1/activities"): Case(
        "reference",
        ok=201,
        resource="person",
        body=lambda w, rec: {"kind": "note", "subject": "یادداشت", "person": rec.pk},
    ),
    ("GET", "/api/v1/activities/{id}"): Case("record", resource="activity"),
    ("PATCH", "/api/v1/activities/{id}"): Case(
        "record", resource="activity", write=True, body=lambda w, rec: {"subject": "تغییر"}
    ),
    ("DELETE", "/api/v1/activities/{id}"): Case("record", ok=204, resource="activity", write=True),
    ("POST", "/api/v1/activities/{id}/restore"): Case(
        "record", resource="activity", write=True, before=_trash
    ),
    ("POST", "/api/v1/activities/{id}/complete"): Case("record", resource="activity", write=True),
    # tags and custom fields
    ("GET", "/api/v1/tags"): Case("any"),
    ("POST", "/api/v1/tags"): Case("create", ok=201, body=lambda w: {"name": "تازه"}),
    ("PATCH", "/api/v1/tags/{id}"): Case(
        "create", body=lambda w: {"color": "#112233"}, target=lambda w, u: w.tag.pk
    ),
    ("DELETE", "/api/v1/tags/{id}"): Case("managers", ok=204, target=lambda w, u: w.tag.pk),
    ("GET", "/api/v1/custom-fields"): Case("any"),
    ("POST", "/api/v1/custom-fields"): Case(
        "admin",
        ok=201,
        body=lambda w: {"entity": "person", "key": "vip", "label": "VIP", "field_type": "boolean"},
    ),
    ("PATCH", "/api/v1/custom-fields/{id}"): Case(
        "admin", body=lambda w: {"label": "رده"}, target=lambda w, u: w.custom_field.pk
    ),
    # imports
    ("GET", "/api/v1/imports"): Case("any"),
    ("POST", "/api/v1/imports"): Case("upload", ok=201),
    ("GET", "/api/v1/imports/targets"): Case("any"),
    ("GET", "/api/v1/imports/presets"): Case("any"),
    ("GET", "/api/v1/imports/{id}"): Case("job"),
    # A preview validates rows as an import would: a writer's step.
    ("GET", "/api/v1/imports/{id}/preview"): Case("job", write=True),
    ("GET", "/api/v1/imports/{id}/report"): Case("job"),
    ("PUT", "/api/v1/imports/{id}/mapping"): Case(
        "job", write=True, body=lambda w: {"columns": ["last_name", "phone_mobile"]}
    ),
    ("POST", "/api/v1/imports/{id}/start"): Case("job", ok=202, write=True),
    ("POST", "/api/v1/imports/{id}/cancel"): Case(
        "job", write=True, before=lambda job: _set_status(job, "queued")
    ),
    ("POST", "/api/v1/imports/{id}/undo"): Case(
        "job", ok=202, write=True, before=lambda job: _set_status(job, "done")
    ),
    # the caller's own account and tokens
    ("GET", "/api/v1/me"): Case("any"),
    ("PATCH", "/api/v1/me"): Case("any", body=lambda w: {"language": "en"}),
    ("GET", "/api/v1/tokens"): Case("any"),
    ("POST", "/api/v1/tokens"): Case("any", ok=201, body=lambda w: {"name": "cli"}),
    ("DELETE", "/api/v1/tokens/{id}"): Case("any", ok=204, target=_own_token),
    # users and teams
    ("GET", "/api/v1/users"): Case("admin"),
    ("POST", "/api/v1/users"): Case(
        "admin",
        ok=201,
        body=lambda w: {"email": "new@example.com", "password": "a-Strong-passw0rd!"},
    ),
    ("GET", "/api/v1/users/{id}"): Case("admin", target=lambda w, u: w.target_user.pk),
    ("PATCH", "/api/v1/users/{id}"): Case(
        "admin", body=lambda w: {"full_name": "تازه"}, target=lambda w, u: w.target_user.pk
    ),
    ("GET", "/api/v1/teams"): Case("admin"),
    ("POST", "/api/v1/teams"): Case("admin", ok=201, body=lambda w: {"name": "تیم ج"}),
    ("GET", "/api/v1/teams/{id}"): Case("admin", target=lambda w, u: w.team_b.pk),
    ("PATCH", "/api/v1/teams/{id}"): Case(
        "admin", body=lambda w: {"name": "تیم د"}, target=lambda w, u: w.team_b.pk
    ),
}


def _set_status(job, status):
    type(job).objects.filter(pk=job.pk).update(status=status)


def _import_job(world, owner):
    """A draft import of a two-column file, belonging to ``owner`` (any role)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from peyvand.transfers import services as transfers

    upload = SimpleUploadedFile("people.csv", "نام خانوادگی,موبایل\nکریمی,09121234567\n".encode())
    job = transfers.create_import(world.users["admin"], upload)
    type(job).objects.filter(pk=job.pk).update(created_by=owner)
    return job


def _check_job(world, case, role, client, method, path):
    caller = world.users[role]
    stranger = world.users["other_agent" if role != "other_agent" else "agent"]
    for owner in (caller, stranger):
        job = _import_job(world, owner)
        if case.before:
            case.before(job)
        body = case.body(world) if case.body else None
        response = _call(client, method, path.replace("{id}", str(job.pk)), body)
        if owner == stranger and role != "admin":
            _assert_error(response, 404)
        elif case.write and role == "viewer":
            _assert_error(response, 403)
        else:
            assert response.status_code == case.ok, (role, response.content[:500])


def _check_upload(world, case, role, client, path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from peyvand.transfers.models import ImportJob

    upload = SimpleUploadedFile("people.csv", "نام خانوادگی\nکریمی\n".encode())
    count = ImportJob.objects.count()
    response = client.client.post(
        path, {"file": upload}, headers={"Authorization": f"Bearer {client.token}"}
    )
    if role == "viewer":
        _assert_error(response, 403)
        assert ImportJob.objects.count() == count
    else:
        assert response.status_code == case.ok, response.content[:500]


def registered_endpoints() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if path.startswith("/api/v1/")
    }


def test_every_endpoint_is_in_the_matrix():
    routes = registered_endpoints()
    assert routes - MATRIX.keys() == set(), "add these endpoints to MATRIX"
    assert MATRIX.keys() - routes == set(), "MATRIX names endpoints that do not exist"


def _call(client, method, path, body=None):
    return client._call(method.lower(), path, body)


def _state(record):
    fresh = type(record).all_objects.get(pk=record.pk)
    return fresh.version, fresh.deleted_at, fresh.updated_at


def _assert_error(response, status):
    assert response.status_code == status, response.content[:500]
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def _check_record(world, case, role, client, method, path):
    for which in ("A", "B"):
        record = getattr(world, case.resource)[which]
        if case.before:
            case.before(world, record)
        before = _state(record)
        body = case.body(world, record) if case.body else None
        response = _call(client, method, path.replace("{id}", str(record.pk)), body)
        if not world.sees(role, which):
            _assert_error(response, 404)
            assert (
                "بتا" not in response.content.decode() and "آلفا" not in response.content.decode()
            )
        elif case.write and role == "viewer":
            _assert_error(response, 403)
        else:
            assert response.status_code == case.ok, (which, response.content[:500])
            continue
        assert _state(record) == before, "a refused call changed the record"


def _check_list(world, case, role, client, path):
    response = _call(client, "GET", path)
    assert response.status_code == 200, response.content[:500]
    ids = {item["id"] for item in response.json()["items"]}
    for which in ("A", "B"):
        record = getattr(world, case.resource)[which]
        assert (record.pk in ids) == world.sees(role, which), which
        if case.resource != "activity":
            # Search must not find the other team's record either, by name or phone.
            name = record.last_name if case.resource == "person" else record.name
            queries = [name]
            if case.resource == "person":  # only people in the world have phones
                queries.append("0912000000" + ("1" if which == "A" else "2"))
            for query in queries:
                found = _call(client, "GET", f"{path}?q={query}").json()["items"]
                assert bool(found) == world.sees(role, which), (which, query)


def _check_export(world, case, role, client, path):
    response = _call(client, "GET", f"{path}?format=csv")
    assert response.status_code == 200, response.content[:500]
    _check_exported_names(world, case, role, b"".join(response.streaming_content).decode())


def _check_export_job(world, case, role, client, path):
    with TestCase.captureOnCommitCallbacks(execute=True):  # hands the job to the worker
        response = _call(client, "POST", path, {"entity": case.resource, "format": "csv"})
    assert response.status_code == case.ok, response.content[:500]
    download = _call(client, "GET", f"{response['Location']}/download")
    assert download.status_code == 200
    _check_exported_names(world, case, role, b"".join(download.streaming_content).decode())


def _check_own(world, case, role, client, method, path):
    mine = case.target(world, world.users[role])
    response = _call(client, method, path.replace("{id}", str(mine)))
    assert response.status_code == case.ok, response.content[:500]
    theirs = case.target(world, world.target_user)
    _assert_error(_call(client, method, path.replace("{id}", str(theirs))), 404)


def _check_exported_names(world, case, role, content: str):
    for which in ("A", "B"):
        record = getattr(world, case.resource)[which]
        name = record.last_name if case.resource == "person" else record.name
        assert (name in content) == world.sees(role, which), which


def _check_reference(world, case, role, client, method, path):
    model = {"organization": Person, "person": Activity}[case.resource]
    for which in ("A", "B"):
        record = getattr(world, case.resource)[which]
        count = model.all_objects.count()
        response = _call(client, method, path, case.body(world, record))
        if role == "viewer":
            _assert_error(response, 403)
        elif not world.sees(role, which):
            _assert_error(response, 422)
            # The same answer as for an id that does not exist: nothing leaks.
            assert (
                "بتا" not in response.content.decode() and "آلفا" not in response.content.decode()
            )
        else:
            assert response.status_code == case.ok, (which, response.content[:500])
            continue
        assert model.all_objects.count() == count


ALLOWED = {
    "any": set(ROLES),
    "create": set(WRITERS),
    "admin": {"admin"},
    "managers": {"admin", "manager"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_permission_matrix(world, clients, endpoint, role):
    method, path = endpoint
    case = MATRIX[endpoint]
    client = clients(role)
    if case.kind == "record":
        return _check_record(world, case, role, client, method, path)
    if case.kind == "list":
        return _check_list(world, case, role, client, path)
    if case.kind == "export":
        return _check_export(world, case, role, client, path)
    if case.kind == "export_job":
        return _check_export_job(world, case, role, client, path)
    if case.kind == "own":
        return _check_own(world, case, role, client, method, path)
    if case.kind == "reference":
        return _check_reference(world, case, role, client, method, path)
    if case.kind == "job":
        return _check_job(world, case, role, client, method, path)
    if case.kind == "upload":
        return _check_upload(world, case, role, client, path)
    if case.target:
        path = path.replace("{id}", str(case.target(world, world.users[role])))
    response = _call(client, method, path, case.body(world) if case.body else None)
    if role in ALLOWED[case.kind]:
        assert response.status_code == case.ok, response.content[:500]
    else:
        _assert_error(response, 403)
