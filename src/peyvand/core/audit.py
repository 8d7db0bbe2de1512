"""Writing the audit trail: one event per create, change, delete, restore or purge."""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist

from .models import AuditEvent, BusinessRecord


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


def visible_events(user, events) -> list[AuditEvent]:
    """The events whose record ``user`` may see: a customer's timeline gathers events of
    every deal, quote or order about them, and another team's must not show there.

    An event of a record that no longer exists (purged) is shown to administrators only.
    """
    from .visibility import visible

    events = list(events)
    ids_by_type: dict[int, set[int]] = {}
    for event in events:
        ids_by_type.setdefault(event.content_type_id, set()).add(event.object_id)
    allowed: set[tuple[int, int]] = set()
    for type_id, ids in ids_by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or not issubclass(model, BusinessRecord):
            allowed.update((type_id, pk) for pk in ids)  # not an owned business record
            continue
        found = model._base_manager.filter(pk__in=ids)
        seen = set(visible(found, user).values_list("pk", flat=True))
        gone = ids - set(found.values_list("pk", flat=True)) if user.is_admin else set()
        allowed.update((type_id, pk) for pk in seen | gone)
    return [e for e in events if (e.content_type_id, e.object_id) in allowed]


def value_label(event: AuditEvent, field: str, value):
    """A stored choice code (``customer``) in the reader's language («مشتری»)."""
    model = event.content_type.model_class()
    try:
        model_field = model._meta.get_field(field) if model else None
    except FieldDoesNotExist:
        return value
    if not getattr(model_field, "choices", None):
        return value
    return dict(model_field.flatchoices).get(value, value)


def readable_changes(event: AuditEvent) -> list[tuple[str, object, object]]:
    """``(field name, old, new)`` of an event, named and valued in the reader's language.

    Snapshots store codes, not labels, so a change reads right in whichever language
    the reader uses, not the one its author used.
    """
    return [
        (field_label(event, field), value_label(event, field, old), value_label(event, field, new))
        for field, (old, new) in event.changes.items()
    ]


def field_label(event: AuditEvent, field: str) -> str:
    """The translated name of a field in an audit event's changes (``first_name`` → «نام»).

    Model fields give their verbose name; other keys (contact lists, custom fields) are
    named by the model's ``audit_labels()``.
    """
    model = event.content_type.model_class()
    if model is None:
        return field
    extra = model.audit_labels() if hasattr(model, "audit_labels") else {}
    if field in extra:
        return str(extra[field])
    try:
        return str(model._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:
        return field
