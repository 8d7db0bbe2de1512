"""Writing the audit trail: one event per create, change, delete, restore or purge."""

from django.contrib.contenttypes.models import ContentType

from .models import AuditEvent


def diff(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for every field whose printable value changed."""
    fields = before.keys() | after.keys()
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(fields)
        if before.get(name) != after.get(name)
    }


def record(actor, obj, action: str, changes: dict | None = None) -> AuditEvent:
    subject = obj.timeline_subject()
    return AuditEvent.objects.create(
        actor=actor if actor and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=obj.pk,
        object_repr=str(obj)[:300],
        subject_type=ContentType.objects.get_for_model(subject) if subject else None,
        subject_id=subject.pk if subject else None,
        changes=changes or {},
    )


def events_for_subject(subject):
    """Audit events shown on a customer's timeline, newest first."""
    return AuditEvent.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
    ).select_related("actor", "content_type")
