"""A customer's timeline shows the audit events of deals about them only to those who may
see the deal: another team's deal on a shared customer stays invisible (issue 4)."""

import pytest

from peyvand.activities.selectors import timeline
from peyvand.customers import services as customers
from peyvand.sales import deals
from peyvand.sales.defaults import ensure_defaults


@pytest.fixture
def shared_person(agent):
    return customers.create_person(agent, {"last_name": "مشترک", "phones": ["09121110000"]})


def _deal_titles(user, person):
    return {
        entry["event"].object_repr
        for entry in timeline(user, person)
        if entry["type"] == "audit" and entry["event"].content_type.model == "deal"
    }


def test_another_teams_deal_stays_off_the_timeline(admin, agent, other_agent, shared_person):
    ensure_defaults()
    deals.create_deal(agent, {"title": "فرصت تیم الف", "person": shared_person.pk})
    # An administrator links a deal of team B to the same person.
    deals.create_deal(
        admin, {"title": "فرصت تیم ب", "person": shared_person.pk, "owner": other_agent.pk}
    )
    assert _deal_titles(agent, shared_person) == {"فرصت تیم الف"}
    assert _deal_titles(admin, shared_person) == {"فرصت تیم الف", "فرصت تیم ب"}
