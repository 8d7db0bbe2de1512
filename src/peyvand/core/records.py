"""Operations every business record shares: versioned change, trash, restore, purge.

Each runs inside the caller's service transaction and writes its audit event.
"""

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.utils import timezone

from . import audit
from .errors import StaleVersionError
from .models import AuditEvent, BusinessRecord


def check_version(obj: BusinessRecord, expected_version: int | None) -> None:
    """Refuse an edit made against an older version of ``obj``."""
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleVersionError(obj.version)


def locked(model, pk):
    """The row, locked for update until the transaction ends (PostgreSQL; SQLite
    serialises writers by its IMMEDIATE transactions)."""
    return model.all_objects.select_for_update().get(pk=pk)


def record_created(actor, obj: BusinessRecord) -> BusinessRecord:
    """Audit a record just saved with everything that belongs to it."""
    audit.record(actor, obj, AuditEvent.Action.CREATE, audit.diff({}, obj.audit_snapshot()))
    return obj


def save_changes(actor, obj: BusinessRecord, before: dict) -> dict:
    """Save ``obj`` with its version bumped and audit what changed since ``before``."""
    changes = audit.diff(before, obj.audit_snapshot())
    if changes:
        obj.version += 1
        obj.save()
        audit.record(actor, obj, AuditEvent.Action.UPDATE, changes)
    return changes


def trash(actor, obj: BusinessRecord) -> None:
    obj.deleted_at = timezone.now()
    obj.deleted_by = actor
    obj.version += 1
    obj.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit.record(actor, obj, AuditEvent.Action.DELETE)


def restore(actor, obj: BusinessRecord) -> None:
    obj.deleted_at = None
    obj.deleted_by = None
    obj.version += 1
    obj.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    audit.record(actor, obj, AuditEvent.Action.RESTORE)


def purge(actor, obj: BusinessRecord) -> None:
    audit.record(actor, obj, AuditEvent.Action.PURGE)
    obj.delete()


def business_models():
    return [m for m in apps.get_models() if issubclass(m, BusinessRecord) and not m._meta.abstract]


def purge_expired(now=None) -> int:
    """Purge every record that has been in the trash longer than the retention period."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PEYVAND["TRASH_RETENTION_DAYS"])
    purged = 0
    for model in business_models():
        for obj in model.trashed.filter(deleted_at__lt=cutoff):
            purge(None, obj)
            purged += 1
    return purged
