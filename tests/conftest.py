"""Shared fixtures: teams, one user per role, API clients, and customers made through services."""

import json

import pytest
from django.test import Client

from peyvand.accounts import services as accounts
from peyvand.accounts.models import Role, Team
from peyvand.customers import services as customers

PASSWORD = "a-Strong-passw0rd!"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is the production hasher (see settings); tests only need *a* hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Uploaded imports and written exports go to the test's own directory, not var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def team_a(db):
    return Team.objects.create(name="تیم الف")


@pytest.fixture
def team_b(db):
    return Team.objects.create(name="تیم ب")


@pytest.fixture
def make_user(db):
    def make(role=Role.AGENT, teams=(), email=None, language="fa"):
        make.counter += 1
        user = accounts.create_user(
            None,
            email=email or f"{role}{make.counter}@example.com",
            password=PASSWORD,
            full_name=f"{role} {make.counter}",
            role=role,
            team_ids=[t.pk for t in teams],
            language=language,
        )
        return user

    make.counter = 0
    return make


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture
def manager(make_user, team_a):
    return make_user(Role.MANAGER, [team_a])


@pytest.fixture
def agent(make_user, team_a):
    return make_user(Role.AGENT, [team_a])


@pytest.fixture
def viewer(make_user, team_a):
    return make_user(Role.VIEWER, [team_a])


@pytest.fixture
def other_agent(make_user, team_b):
    """An agent of another team: must never see team A's records."""
    return make_user(Role.AGENT, [team_b])


class ApiClient:
    """A test client that speaks JSON with a bearer token."""

    def __init__(self, user):
        self.user = user
        _token, self.token = accounts.create_token(user, "tests")
        self.client = Client()

    def _call(self, method, path, data=None, headers=None):
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        kwargs = {"headers": headers}
        if data is not None:
            kwargs.update(data=json.dumps(data), content_type="application/json")
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path, headers=None):
        return self._call("get", path, headers=headers)

    def post(self, path, data=None, headers=None):
        return self._call("post", path, data, headers)

    def patch(self, path, data=None, headers=None):
        return self._call("patch", path, data, headers)

    def put(self, path, data=None, headers=None):
        return self._call("put", path, data, headers)

    def delete(self, path, headers=None):
        return self._call("delete", path, headers=headers)


@pytest.fixture
def api_as(db):
    return ApiClient


@pytest.fixture
def web_as(db):
    """A browser-less web client logged in as ``user``."""

    def login(user):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return login


@pytest.fixture
def make_person(db):
    def make(actor, allow_duplicate=False, **data):
        data.setdefault("last_name", "رضایی")
        return customers.create_person(actor, data, allow_duplicate=allow_duplicate)

    return make


@pytest.fixture
def make_organization(db):
    def make(actor, **data):
        data.setdefault("name", "شرکت نمونه")
        return customers.create_organization(actor, data)

    return make


def pytest_terminal_summary(terminalreporter):
    """Figures tests report with ``record_property("figure: …", value)`` (e.g. the lead
    score's AUC on held-out leads), printed after every run, also from xdist workers."""
    figures = [
        (name.removeprefix("figure: "), value, report.nodeid)
        for report in terminalreporter.stats.get("passed", [])
        for name, value in report.user_properties
        if name.startswith("figure: ")
    ]
    if figures:
        terminalreporter.section("reported figures")
        for name, value, nodeid in figures:
            terminalreporter.write_line(f"{name}: {value}  ({nodeid})")
