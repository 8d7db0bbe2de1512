"""A small world for API tests: one user per role, and records in team A and team B."""

from dataclasses import dataclass, field

import pytest

from peyvand.accounts.models import Role
from peyvand.activities import services as activities
from peyvand.customers import services as customers

ROLES = ("admin", "manager", "agent", "viewer", "other_agent")


@dataclass
class World:
    users: dict
    team_a: object
    team_b: object
    person: dict = field(default_factory=dict)
    organization: dict = field(default_factory=dict)
    activity: dict = field(default_factory=dict)
    tag: object = None
    custom_field: object = None
    target_user: object = None

    def sees(self, role: str, which: str) -> bool:
        """Whether ``role`` may see the record of team ``which`` ("A" or "B")."""
        if role == "admin":
            return True
        return which == ("B" if role == "other_agent" else "A")


@pytest.fixture
def world(admin, manager, agent, viewer, other_agent, team_a, team_b, make_user):
    """Team A's records are owned by ``agent``, team B's by ``other_agent``."""
    users = {
        "admin": admin,
        "manager": manager,
        "agent": agent,
        "viewer": viewer,
        "other_agent": other_agent,
    }
    w = World(users=users, team_a=team_a, team_b=team_b)
    for which, owner, name in (("A", agent, "آلفا"), ("B", other_agent, "بتا")):
        w.organization[which] = customers.create_organization(owner, {"name": f"شرکت {name}"})
        w.person[which] = customers.create_person(
            owner,
            {
                "first_name": "نام",
                "last_name": name,
                "phones": ["0912000000" + ("1" if which == "A" else "2")],
                "organizations": [w.organization[which].pk],
            },
        )
        w.activity[which] = activities.create_activity(
            owner,
            {
                "kind": "task",
                "subject": f"پیگیری {name}",
                "person": w.person[which].pk,
                "due_at": "1410/01/01 10:00",
            },
        )
    w.tag = customers.create_tag(admin, name="ویژه")
    w.custom_field = customers.create_custom_field(
        admin, {"entity": "person", "key": "level", "label": "سطح", "field_type": "number"}
    )
    w.target_user = make_user(Role.AGENT, [team_b])
    return w


@pytest.fixture
def clients(world, api_as):
    """One API client per role, made on first use."""
    made = {}

    def client(role):
        if role not in made:
            made[role] = api_as(world.users[role])
        return made[role]

    return client
