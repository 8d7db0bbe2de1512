"""Follow-up cadences: tasks when a deal enters a stage or an order is delivered."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from peyvand.activities.models import Activity
from peyvand.activities.services import notify_due_followups
from peyvand.core.models import AuditEvent
from peyvand.sales import cadences, deals
from peyvand.sales.models import Order, StageChange

from .deal_fixtures import *  # noqa: F403 (fixtures)

TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
def proposal_cadence(manager, stages):
    """Two follow-ups when a deal reaches «ارائه پیشنهاد»."""
    return cadences.create_cadence(
        manager,
        {
            "name": "پیگیری پیشنهاد",
            "trigger": "stage_entered",
            "stage": stages[2].pk,
            "steps": [
                {"after_days": "۳", "subject": "تماس برای پیشنهاد", "priority": "high"},
                {"after_days": 10, "subject": "پرسیدن نتیجه"},
            ],
        },
    )


def _tasks(deal):
    return Activity.objects.filter(deal=deal, kind="task").order_by("due_at")


def test_entering_a_stage_creates_its_follow_ups(
    agent, manager, stages, proposal_cadence, make_deal, make_person, make_organization
):
    person = make_person(agent)
    org = make_organization(agent)
    deal = make_deal(agent, person=person.pk, organization=org.pk)
    assert not _tasks(deal).exists()  # the first stage has no cadence
    deals.move_deal(manager, deal, stages[2].pk)
    entry = StageChange.objects.filter(deal=deal).last()
    first, second = _tasks(deal)
    day = entry.at.astimezone(TEHRAN).date()
    assert first.due_at == dt.datetime.combine(day + dt.timedelta(days=3), dt.time(10), TEHRAN)
    assert second.due_at == dt.datetime.combine(day + dt.timedelta(days=10), dt.time(10), TEHRAN)
    assert (first.subject, first.priority, second.priority) == (
        "تماس برای پیشنهاد",
        "high",
        "normal",
    )
    # For the deal's owner, on the deal and its customer, visible with the deal's team.
    assert (first.assignee, first.owner, first.team) == (agent, agent, deal.team)
    assert (first.person, first.organization, first.created_by) == (person, org, manager)
    assert first.done_at is None
    assert AuditEvent.objects.filter(object_id=first.pk, action="create").exists()
    # Planned work is not a touch: the deal's rotting clock is unchanged.
    last_touch = deal.last_activity_at
    deal.refresh_from_db()
    assert deal.last_activity_at == last_touch


def test_a_second_call_for_one_entry_creates_nothing(agent, stages, proposal_cadence, make_deal):
    deal = make_deal(agent, stage=stages[2].pk)  # create_deal enters the stage: 2 tasks
    assert _tasks(deal).count() == 2
    assert cadences.on_stage_entered(agent, deal) == []
    assert _tasks(deal).count() == 2


def test_entering_the_stage_again_later_creates_new_tasks(
    agent, stages, proposal_cadence, make_deal
):
    deal = make_deal(agent, stage=stages[2].pk)
    StageChange.objects.filter(deal=deal).update(at=timezone.now() - dt.timedelta(days=5))
    deals.move_deal(agent, deal, stages[3].pk)
    deals.move_deal(agent, deal, stages[2].pk)
    assert _tasks(deal).count() == 4
    assert cadences.on_stage_entered(agent, deal) == []


def test_inactive_cadences_and_closed_deals_create_nothing(
    agent, manager, stages, proposal_cadence, make_deal, reason
):
    cadences.update_cadence(manager, proposal_cadence, {"is_active": False})
    deal = make_deal(agent, stage=stages[2].pk)
    assert not _tasks(deal).exists()
    cadences.update_cadence(manager, proposal_cadence, {"is_active": True})
    deals.lose_deal(agent, deal, reason.pk)
    assert cadences.on_stage_entered(agent, deal) == []


def test_an_order_delivered_creates_its_follow_ups_once(agent, manager, make_person):
    cadences.create_cadence(
        manager,
        {
            "name": "رضایت پس از تحویل",
            "trigger": "order_delivered",
            "stage": "",
            "steps": [{"after_days": 30, "subject": "پرسیدن رضایت مشتری"}],
        },
    )
    person = make_person(agent)
    delivered = timezone.now()
    order = Order.objects.create(
        number="SO-1405-00001",
        owner=agent,
        team=agent.primary_team,
        person=person,
        status="delivered",
        delivered_at=delivered,
    )
    [task] = cadences.on_order_delivered(manager, order)
    day = delivered.astimezone(TEHRAN).date() + dt.timedelta(days=30)
    assert task.due_at == dt.datetime.combine(day, dt.time(10), TEHRAN)
    assert (task.assignee, task.person, task.subject) == (agent, person, "پرسیدن رضایت مشتری")
    assert "SO-1405-00001" in task.body
    assert cadences.on_order_delivered(manager, order) == []
    other = Order.objects.create(
        number="SO-1405-00002", owner=agent, person=person, delivered_at=delivered
    )
    assert len(cadences.on_order_delivered(manager, other)) == 1


def test_a_deal_without_customer_gets_tasks_listed_with_a_link_to_it(
    web_as, agent, stages, proposal_cadence, make_deal
):
    deal = make_deal(agent, title="بدون مشتری", stage=stages[2].pk)
    assert _tasks(deal).count() == 2
    deal_url = reverse("sales:deal_detail", args=[deal.pk])
    client = web_as(agent)
    for page in (reverse("activities:followups"), reverse("core:home")):
        html = client.get(page).content.decode()
        assert f'href="{deal_url}"' in html and "تماس برای پیشنهاد" in html
    assert notify_due_followups(now=timezone.now() + dt.timedelta(days=11)) == 2
    html = client.get(reverse("activities:notifications")).content.decode()
    assert f'href="{deal_url}"' in html and "بدون مشتری" in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"name": "", "trigger": "stage_entered", "steps": [{"after_days": 1, "subject": "x"}]},
            "name",
        ),
        (
            {"name": "x", "trigger": "never", "steps": [{"after_days": 1, "subject": "x"}]},
            "trigger",
        ),
        (
            {"name": "x", "trigger": "stage_entered", "steps": [{"after_days": 1, "subject": "x"}]},
            "stage",
        ),
        ({"name": "x", "trigger": "order_delivered", "steps": []}, "steps"),
        (
            {
                "name": "x",
                "trigger": "order_delivered",
                "steps": [{"after_days": "-1", "subject": "x"}],
            },
            "steps.0.after_days",
        ),
        (
            {
                "name": "x",
                "trigger": "order_delivered",
                "steps": [{"after_days": 1, "subject": ""}],
            },
            "steps.0.subject",
        ),
        (
            {
                "name": "x",
                "trigger": "order_delivered",
                "steps": [{"after_days": 1, "subject": "x", "priority": "asap"}],
            },
            "steps.0.priority",
        ),
        ({"name": "x", "trigger": "order_delivered", "steps": "همه"}, "steps"),
    ],
)
def test_bad_cadences_are_refused(manager, data, field):
    with pytest.raises(ValidationError) as exc_info:
        cadences.create_cadence(manager, data)
    assert field in exc_info.value.message_dict


def test_only_managers_change_cadences(agent, viewer, proposal_cadence):
    for user in (agent, viewer):
        with pytest.raises(PermissionDenied):
            cadences.update_cadence(user, proposal_cadence, {"name": "x"})
        with pytest.raises(PermissionDenied):
            cadences.delete_cadence(user, proposal_cadence)


def test_cadences_api(api_as, manager, agent, stages):
    boss = api_as(manager)
    made = boss.post(
        "/api/v1/cadences",
        {
            "name": "<b>پیگیری</b>",
            "trigger": "stage_entered",
            "stage": stages[1].pk,
            "steps": [{"after_days": "۲", "subject": "تماس"}],
        },
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["name"] == "<b>پیگیری</b>" and body["stage"] == stages[1].pk
    assert body["steps"] == [{"after_days": 2, "subject": "تماس", "priority": "normal"}]
    url = f"/api/v1/cadences/{body['id']}"
    patched = boss.patch(
        url, {"steps": [{"after_days": 5, "subject": "ایمیل"}], "is_active": False}
    )
    assert patched.json()["steps"][0]["subject"] == "ایمیل" and not patched.json()["is_active"]
    assert api_as(agent).get("/api/v1/cadences").json()["items"][0]["id"] == body["id"]
    assert api_as(agent).patch(url, {"name": "x"}).status_code == 403
    assert boss.patch(url, {"trigger": "nope"}).status_code == 422
    assert boss.post("/api/v1/cadences", {"name": "x"}).status_code == 422
    assert api_as(agent).delete(url).status_code == 403
    assert boss.delete(url).status_code == 204
    assert boss.get(url).status_code == 404
