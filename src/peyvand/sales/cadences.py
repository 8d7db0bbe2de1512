"""Follow-up cadences: the tasks created when a deal enters a stage or an order is delivered.

Each active cadence of the event creates one follow-up task per step, due ``after_days``
after the event at 10:00 Tehran time, assigned to the deal's (or order's) owner and
linked to the deal and its person/organisation.

Idempotent per event: a deal's stage entry is its latest ``StageChange``, and the tasks of
that entry are those created on the deal since it; an order's tasks carry its number.
A second call for the same event finds them and creates nothing, while entering the
stage again later is a new event with new tasks.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.activities.models import Activity
from peyvand.core import records
from peyvand.core.validation import FieldErrors, as_list, choice, text

from . import deals
from .models import Cadence, CadenceStep, Deal, Stage, StageChange

TEHRAN = ZoneInfo("Asia/Tehran")
DUE_TIME = dt.time(10, 0)
MAX_AFTER_DAYS = 3650
TRIGGER = Cadence.Trigger


def due_at(event_at: dt.datetime, after_days: int) -> dt.datetime:
    """10:00 Tehran time, ``after_days`` days after the event's (Tehran) day."""
    day = event_at.astimezone(TEHRAN).date() + dt.timedelta(days=after_days)
    return dt.datetime.combine(day, DUE_TIME, tzinfo=TEHRAN)


def _steps(trigger: str, **where):
    return CadenceStep.objects.filter(
        cadence__is_active=True, cadence__trigger=trigger, **where
    ).order_by("cadence_id", "after_days", "position", "id")


def _create_task(actor, step: CadenceStep, *, owner, team, due, **links) -> Activity:
    """A follow-up task of the cadence, owned by and assigned to the record's owner.

    Written through the model (and audited) rather than ``activities.services``: the
    actor who triggered the event need not see the customer, and a planned task is
    not a touch that stops the deal rotting."""
    task = Activity(
        kind=Activity.Kind.TASK,
        subject=step.subject,
        due_at=due,
        assignee=owner,
        priority=step.priority,
        owner=owner,
        team=team,
        created_by=actor,
        **links,
    )
    task.save()
    return records.record_created(actor, task)


@transaction.atomic
def on_stage_entered(actor, deal) -> list[Activity]:
    """The tasks of the cadences of the stage ``deal`` has just entered."""
    # Read (and lock) the deal as stored: two calls for one entry run one after the
    # other, and the second sees the first one's tasks.
    deal = records.locked(Deal, deal.pk)
    steps = list(_steps(TRIGGER.STAGE_ENTERED, cadence__stage_id=deal.stage_id))
    if not steps or deal.status != Deal.Status.OPEN:
        return []
    entry = (
        StageChange.objects.filter(deal=deal, to_stage_id=deal.stage_id, status=deal.status)
        .order_by("-at", "-id")
        .first()
    )
    if entry is None:
        return []
    made = Activity.all_objects.filter(deal=deal, kind=Activity.Kind.TASK, created_at__gte=entry.at)
    done = set(made.values_list("subject", "due_at"))
    tasks = []
    for step in steps:
        due = due_at(entry.at, step.after_days)
        if (step.subject, due) in done:
            continue
        done.add((step.subject, due))
        tasks.append(
            _create_task(
                actor,
                step,
                owner=deal.owner,
                team=deal.team,
                due=due,
                deal=deal,
                person=deal.person,
                organization=deal.organization,
            )
        )
    return tasks


@transaction.atomic
def on_order_delivered(actor, order) -> list[Activity]:
    """The tasks of the order-delivered cadences (e.g. a satisfaction call after 30 days)."""
    steps = list(_steps(TRIGGER.ORDER_DELIVERED))
    delivered = order.delivered_at or timezone.now()
    reference = _("Order %(number)s") % {"number": order.number}
    done = set(
        Activity.all_objects.filter(
            kind=Activity.Kind.TASK,
            body=reference,
            person=order.person,
            organization=order.organization,
        ).values_list("subject", "due_at")
    )
    tasks = []
    for step in steps:
        due = due_at(delivered, step.after_days)
        if (step.subject, due) in done:
            continue
        done.add((step.subject, due))
        tasks.append(
            _create_task(
                actor,
                step,
                owner=order.owner,
                team=order.team,
                due=due,
                body=reference,
                deal_id=order.deal_id,
                person=order.person,
                organization=order.organization,
            )
        )
    return tasks


# ---- settings -----------------------------------------------------------------------------


def cadences():
    return Cadence.objects.select_related("stage__pipeline").prefetch_related("steps")


def _clean_steps(raw, errors: FieldErrors) -> list[dict]:
    steps = []
    for i, item in enumerate(as_list(raw, "steps", errors)):
        if not isinstance(item, dict):
            errors.add(f"steps.{i}", _("Expected a step object."))
            continue
        after = errors.check(
            f"steps.{i}.after_days",
            lambda v=item.get("after_days"): deals.whole_number(
                v, minimum=0, maximum=MAX_AFTER_DAYS, required=True
            ),
        )
        subject = errors.check(
            f"steps.{i}.subject",
            lambda v=item.get("subject"): text(v, max_length=200, required=True),
        )
        priority = errors.check(
            f"steps.{i}.priority",
            lambda v=item.get("priority") or "normal": choice(v, Activity.Priority.values),
        )
        steps.append({"after_days": after, "subject": subject, "priority": priority or "normal"})
    return steps


def _clean_cadence(data: dict, cadence: Cadence) -> dict:
    errors = FieldErrors()
    creating = cadence.pk is None
    clean = {}
    if "name" in data or creating:
        clean["name"] = errors.check(
            "name", lambda: text(data.get("name"), max_length=100, required=True), ""
        )
    if "trigger" in data or creating:
        clean["trigger"] = errors.check(
            "trigger", lambda: choice(data.get("trigger"), TRIGGER.values, required=True), ""
        )
    trigger = clean.get("trigger") or cadence.trigger
    if trigger == TRIGGER.STAGE_ENTERED and ("stage" in data or "trigger" in clean):
        clean["stage"] = Stage.objects.filter(pk=deals.parse_id(data.get("stage"))).first()
        if clean["stage"] is None:
            errors.add("stage", _("Choose the stage whose deals this cadence follows up."))
    elif trigger == TRIGGER.ORDER_DELIVERED:
        clean["stage"] = None
    if "is_active" in data:
        clean["is_active"] = deals.is_yes(data["is_active"])
    if "steps" in data or creating:
        clean["steps"] = _clean_steps(data.get("steps"), errors)
        if not clean["steps"] and "steps" not in errors.errors:
            errors.add("steps", _("A cadence needs at least one step."))
    errors.raise_if_any()
    return clean


def _save(cadence: Cadence, clean: dict) -> Cadence:
    steps = clean.pop("steps", None)
    for name, value in clean.items():
        setattr(cadence, name, value)
    cadence.save()
    if steps is not None:
        cadence.steps.all().delete()
        CadenceStep.objects.bulk_create(
            CadenceStep(cadence=cadence, position=i, **step) for i, step in enumerate(steps)
        )
    return cadence


@transaction.atomic
def create_cadence(actor, data: dict) -> Cadence:
    """``data``: name, trigger, stage (for stage_entered), is_active, steps
    ([{after_days, subject, priority}])."""
    deals.require_settings_writer(actor)
    return _save(Cadence(), _clean_cadence(data, Cadence()))


@transaction.atomic
def update_cadence(actor, cadence: Cadence, data: dict) -> Cadence:
    """Change what ``data`` names; ``steps``, when given, replaces every step."""
    deals.require_settings_writer(actor)
    return _save(cadence, _clean_cadence(data, cadence))


@transaction.atomic
def delete_cadence(actor, cadence: Cadence) -> None:
    """Tasks it already created stay; only future events are no longer followed up."""
    deals.require_settings_writer(actor)
    cadence.delete()
