"""Reads of activities, the customer timeline and notifications."""

from django.shortcuts import get_object_or_404

from peyvand.core.audit import events_for_subject, visible_events
from peyvand.core.visibility import visible

from .models import Activity, Notification


def visible_activities(user):
    return visible(Activity.objects.all(), user)


def get_activity(user, pk) -> Activity:
    return get_object_or_404(visible_activities(user), pk=pk)


def activities_for(user, record):
    """Activities about a person, an organisation or a deal."""
    field = record._meta.model_name  # person, organization or deal: the activity's fields
    return visible_activities(user).filter(**{field: record}).select_related("owner", "assignee")


def open_followups(user, customer):
    return (
        activities_for(user, customer)
        .filter(kind=Activity.Kind.TASK, done_at__isnull=True)
        .order_by("due_at")
    )


def my_open_followups(user, limit=20):
    return (
        visible_activities(user)
        .filter(kind=Activity.Kind.TASK, done_at__isnull=True, assignee=user)
        .select_related("person", "organization", "deal")
        .order_by("due_at")[:limit]
    )


def team_open_followups(user, limit=200):
    """Open follow-ups the user can see but someone else is assigned (a manager's view)."""
    return (
        visible_activities(user)
        .filter(kind=Activity.Kind.TASK, done_at__isnull=True)
        .exclude(assignee=user)
        .select_related("person", "organization", "deal", "assignee")
        .order_by("due_at")[:limit]
    )


def timeline(user, customer, limit: int = 200) -> list[dict]:
    """Everything that happened with a customer, activities and audit events, newest first."""
    entries = [
        {"type": "activity", "at": a.occurred_at, "activity": a}
        for a in activities_for(user, customer).order_by("-occurred_at", "-id")[:limit]
    ]
    events = visible_events(user, events_for_subject(customer)[:limit])
    entries += [{"type": "audit", "at": e.at, "event": e} for e in events]
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


def unread_notification_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications(user, limit=50):
    return Notification.objects.filter(user=user).select_related("activity")[:limit]
