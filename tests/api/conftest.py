"""A small world for API tests: one user per role, and records in team A and team B.

People, organisations and activities exist from the start; the sales records (leads, deals,
quotes, orders, targets) are made on first use, so tests that never touch them pay nothing.
"""

from dataclasses import dataclass, field
from functools import cached_property

import pytest

from peyvand.accounts.models import Role
from peyvand.activities import services as activities
from peyvand.customers import services as customers
from peyvand.sales import deals, leads, orders, quotes, targets

ROLES = ("admin", "manager", "agent", "viewer", "other_agent")
# Every record of a team carries its word: a response that shows the other team's word leaks.
TEAM_WORDS = {"A": "آلفا", "B": "بتا"}
PHONES = {"A": "09120000001", "B": "09120000002"}
# Distinct sizes per team, so a report that counts the other team's deal shows it in the total.
DEAL_AMOUNTS = {"A": 12_000_000, "B": 340_000_000}
TARGET_AMOUNTS = {"A": 5_000_000, "B": 70_000_000}


def _document_line(name: str) -> dict:
    return {"description": f"خدمات {name}", "quantity": "1", "unit_price": 1_000_000}


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

    def owner(self, which: str):
        """Team A's records belong to ``agent``, team B's to ``other_agent``."""
        return self.users["agent" if which == "A" else "other_agent"]

    def _per_team(self, make) -> dict:
        """``make(which, owner, word)`` for team A and team B."""
        return {which: make(which, self.owner(which), word) for which, word in TEAM_WORDS.items()}

    @cached_property
    def lead(self) -> dict:
        return self._per_team(
            lambda which, owner, word: leads.create_lead(
                owner, {"first_name": "سرنخ", "last_name": word}
            )
        )

    @cached_property
    def deal(self) -> dict:
        return self._per_team(
            lambda which, owner, word: deals.create_deal(
                owner,
                {
                    "title": f"فروش {word}",
                    "amount": DEAL_AMOUNTS[which],
                    "person": self.person[which].pk,
                },
            )
        )

    @cached_property
    def won_deal(self) -> dict:
        """The deals, won today by their owners."""
        return {which: deals.win_deal(self.owner(which), deal) for which, deal in self.deal.items()}

    @cached_property
    def quote(self) -> dict:
        return self._per_team(
            lambda which, owner, word: quotes.create_quote(
                owner, {"person": self.person[which].pk, "lines": [_document_line(word)]}
            )
        )

    @cached_property
    def order(self) -> dict:
        return self._per_team(
            lambda which, owner, word: orders.create_order(
                owner, {"person": self.person[which].pk, "lines": [_document_line(word)]}
            )
        )

    @cached_property
    def sales_target(self) -> dict:
        """Each team's target for the first month of this Jalali year."""
        admin, year = self.users["admin"], targets.current_jalali_year()
        teams = {"A": self.team_a, "B": self.team_b}
        return {
            which: targets.set_target(
                admin, {"year": year, "month": 1, "team": team.pk, "amount": TARGET_AMOUNTS[which]}
            )[0]
            for which, team in teams.items()
        }


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
    for which, name in TEAM_WORDS.items():
        owner = w.owner(which)
        w.organization[which] = customers.create_organization(owner, {"name": f"شرکت {name}"})
        w.person[which] = customers.create_person(
            owner,
            {
                "first_name": "نام",
                "last_name": name,
                "phones": [PHONES[which]],
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
