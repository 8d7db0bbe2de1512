"""Logging activities on a customer, completing follow-ups, and due-date notifications."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from peyvand.accounts.models import User
from peyvand.core import jalali, records
from peyvand.core.persian import to_ascii_digits
from peyvand.core.validation import FieldErrors, choice, text
from peyvand.core.visibility import require_delete, require_write
from peyvand.customers.selectors import visible_organizations, visible_people
from peyvand.sales.deals import note_activity, visible_deals

from .models import Activity, Notification

MAX_CALL_SECONDS = 24 * 3600


def _when(value):
    if value in (None, ""):
        return None
    if hasattr(value, "tzinfo"):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    try:
        return jalali.parse_datetime(str(value))
    except jalali.JalaliInputError as exc:
        raise ValidationError(str(exc)) from None


def _duration(value):
    if value in (None, ""):
        return None
    try:
        seconds = int(to_ascii_digits(str(value)).strip())
    except ValueError:
        raise ValidationError(_("Enter the duration in whole seconds.")) from None
    if not 0 <= seconds <= MAX_CALL_SECONDS:
        raise ValidationError(_("A call lasts between 0 seconds and one day."))
    return seconds


def _clean(actor, data: dict, activity: Activity) -> dict:
    errors = FieldErrors()
    creating = activity.pk is None
    clean = {}
    if creating:
        clean["kind"] = errors.check(
            "kind", lambda: choice(data.get("kind"), Activity.Kind.values, required=True)
        )
        clean["person"] = clean["organization"] = clean["deal"] = None
        if data.get("person"):
            clean["person"] = visible_people(actor).filter(pk=_pk(data["person"])).first()
            if clean["person"] is None:
                errors.add("person", _("There is no such person."))
        if data.get("organization"):
            clean["organization"] = (
                visible_organizations(actor).filter(pk=_pk(data["organization"])).first()
            )
            if clean["organization"] is None:
                errors.add("organization", _("There is no such organization."))
        if data.get("deal"):
            clean["deal"] = _visible_deal(actor, data["deal"])
            if clean["deal"] is None:
                errors.add("deal", _("There is no such deal."))
        if not any(data.get(name) for name in ("person", "organization", "deal")):
            errors.add("person", _("Choose the person or organization this activity is about."))
    kind = clean.get("kind") or activity.kind
    if "subject" in data or creating:
        clean["subject"] = errors.check(
            "subject", lambda: text(data.get("subject"), max_length=200, required=True), ""
        )
    if "body" in data:
        clean["body"] = errors.check("body", lambda: text(data["body"]), "")
    for field in ("occurred_at", "ends_at", "due_at"):
        if field in data:
            clean[field] = errors.check(field, lambda f=field: _when(data[f]))
    if "occurred_at" in clean and clean["occurred_at"] is None:
        clean["occurred_at"] = timezone.now()
    if kind == Activity.Kind.TASK and creating and not clean.get("due_at"):
        errors.add("due_at", _("A follow-up needs a due date and time."))
    if "direction" in data:
        clean["direction"] = errors.check(
            "direction", lambda: choice(data["direction"], Activity.Direction.values), ""
        )
    if "outcome" in data:
        clean["outcome"] = errors.check(
            "outcome", lambda: choice(data["outcome"], Activity.Outcome.values), ""
        )
    if "duration_seconds" in data:
        clean["duration_seconds"] = errors.check(
            "duration_seconds", lambda: _duration(data["duration_seconds"])
        )
    if "location" in data:
        clean["location"] = errors.check(
            "location", lambda: text(data["location"], max_length=200), ""
        )
    if "priority" in data:
        clean["priority"] = errors.check(
            "priority",
            lambda: choice(data["priority"] or "normal", Activity.Priority.values),
            "normal",
        )
    if data.get("assignee") not in (None, ""):
        assignee = User.objects.filter(pk=_pk(data["assignee"]), is_active=True).first()
        if assignee is None:
            errors.add("assignee", _("There is no active user with this id."))
        clean["assignee"] = assignee
    elif kind == Activity.Kind.TASK and creating:
        clean["assignee"] = actor
    if "done" in data:
        clean["done_at"] = (activity.done_at or timezone.now()) if data["done"] else None
    if (
        clean.get("ends_at")
        and clean.get("occurred_at")
        and clean["ends_at"] < clean["occurred_at"]
    ):
        errors.add("ends_at", _("A meeting cannot end before it starts."))
    errors.raise_if_any()
    return clean


def _pk(value):
    try:
        return int(to_ascii_digits(str(value)))
    except ValueError:
        return None


def _visible_deal(actor, value):
    return (
        visible_deals(actor)
        .select_related("person", "organization", "team")
        .filter(pk=_pk(value))
        .first()
    )


@transaction.atomic
def create_activity(actor, data: dict) -> Activity:
    require_write(actor)
    activity = Activity()
    clean = _clean(actor, data, activity)
    for field, value in clean.items():
        setattr(activity, field, value)
    deal = activity.deal
    if deal is not None and not (activity.person or activity.organization):
        # Logged on a deal alone: it is about the deal's customer.
        activity.person, activity.organization = deal.person, deal.organization
    # The activity belongs to the customer's (or deal's) team, so whoever sees them sees it.
    activity.owner = actor
    activity.team = (activity.person or activity.organization or deal).team
    activity.created_by = actor
    if activity.due_at and activity.due_at > timezone.now():
        activity.notified_at = None
    activity.save()
    if deal is not None:
        note_activity(deal.pk, activity.occurred_at)
    return records.record_created(actor, activity)


@transaction.atomic
def update_activity(actor, activity: Activity, data: dict, expected_version: int | None = None):
    require_write(actor)
    activity = records.locked(Activity, activity.pk)
    records.check_version(activity, expected_version)
    before = activity.audit_snapshot()
    clean = _clean(actor, data, activity)
    for field, value in clean.items():
        setattr(activity, field, value)
    if "due_at" in clean:
        activity.notified_at = None
    records.save_changes(actor, activity, before)
    return activity


def complete_task(actor, activity: Activity, expected_version: int | None = None) -> Activity:
    if activity.kind != Activity.Kind.TASK:
        raise ValidationError({"kind": [_("Only a follow-up can be marked done.")]})
    return update_activity(actor, activity, {"done": True}, expected_version)


@transaction.atomic
def trash_activity(actor, activity: Activity) -> None:
    require_delete(actor, activity)
    records.trash(actor, records.locked(Activity, activity.pk))


@transaction.atomic
def restore_activity(actor, activity: Activity) -> None:
    require_delete(actor, activity)
    records.restore(actor, records.locked(Activity, activity.pk))


def notify_due_followups(now=None) -> int:
    """Notify each assignee once of every open follow-up that has come due."""
    now = now or timezone.now()
    due = Activity.objects.filter(
        kind=Activity.Kind.TASK,
        done_at__isnull=True,
        notified_at__isnull=True,
        due_at__lte=now,
        assignee__isnull=False,
    ).select_related("assignee", "person", "organization", "deal")
    count = 0
    for activity in due:
        with transaction.atomic():
            claimed = Activity.objects.filter(pk=activity.pk, notified_at__isnull=True).update(
                notified_at=now
            )
            if not claimed:
                continue  # another worker got it first
            with override(activity.assignee.language):
                message = _("Follow-up due: %(subject)s — %(customer)s") % {
                    "subject": activity.subject,
                    "customer": activity.timeline_subject() or activity.deal,
                }
            Notification.objects.create(
                user=activity.assignee, activity=activity, message=message[:300]
            )
            count += 1
    return count


def mark_read(user, notification_ids=None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
