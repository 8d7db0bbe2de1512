"""An import's life: upload, sheet and column mapping, preview, start, cancel, undo.

The UI wizard, the API and ``peyvand import`` all go through these functions; the rows
themselves are written by ``importer`` in the worker.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.core.models import AuditEvent
from peyvand.core.persian import clean_text
from peyvand.core.visibility import require_write
from peyvand.customers import services as customers
from peyvand.customers.custom_fields import definitions
from peyvand.customers.models import Organization, Person

from . import importer, mapping
from .models import DuplicatePolicy, ImportFingerprint, ImportJob, MappingPreset
from .readers import ImportFileError, detect_format, open_table, sheet_names


def _max_bytes() -> int:
    return settings.PEYVAND["IMPORT_MAX_BYTES"]


def _only_draft(job: ImportJob) -> None:
    if job.status != ImportJob.Status.DRAFT:
        raise ValidationError(_("This import has already started; start a new one to change it."))


@transaction.atomic
def create_import(actor, upload) -> ImportJob:
    """Store an uploaded file and read its columns; the mapping starts from suggestions."""
    require_write(actor)
    if upload is None or not upload.size:
        raise ValidationError({"file": [_("Choose a file to import; this one is empty.")]})
    if upload.size > _max_bytes():
        raise ValidationError(
            {
                "file": [
                    _("The file is larger than %(limit)d MB.")
                    % {"limit": _max_bytes() // (1024 * 1024)}
                ]
            }
        )
    digest = hashlib.sha256()
    for piece in upload.chunks():
        digest.update(piece)
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    name = clean_text(upload.name)[:255] or "import"
    job = ImportJob(
        created_by=actor,
        file_name=name,
        file_sha256=digest.hexdigest(),
        format=detect_format(name, head),
    )
    # openpyxl reads a workbook only under an .xlsx name.
    extension = {"xlsx": "xlsx", "vcard": "vcf"}.get(job.format, "csv")
    job.file.save(f"{digest.hexdigest()[:16]}.{extension}", upload, save=False)
    try:
        _read_columns(job, sheet=None)
    except ValidationError:
        job.file.delete(save=False)
        raise
    job.save()
    return job


def _read_columns(job: ImportJob, sheet: str | None) -> None:
    try:
        table = open_table(job.file.path, format=job.format, sheet=sheet)
    except ImportFileError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    if not table.headers:
        raise ValidationError({"file": [_("The file has no columns.")]})
    job.encoding = table.encoding
    job.sheet = table.sheet
    job.headers = table.headers
    job.mapping = mapping.suggest(table.headers)


def sheets(job: ImportJob) -> list[str]:
    return sheet_names(job.file.path) if job.format == "xlsx" else []


@transaction.atomic
def choose_sheet(actor, job: ImportJob, sheet: str) -> ImportJob:
    require_write(actor)
    _only_draft(job)
    if sheet not in sheets(job):
        raise ValidationError({"sheet": [_("The file has no sheet with this name.")]})
    _read_columns(job, sheet)
    job.save()
    return job


@transaction.atomic
def configure(
    actor,
    job: ImportJob,
    *,
    columns: list[str],
    policy: str = DuplicatePolicy.SKIP,
    tags: list[str] | None = None,
    save_as: str = "",
) -> ImportJob:
    """Set the column mapping, duplicate policy and extra tags; optionally save a preset."""
    require_write(actor)
    _only_draft(job)
    if policy not in DuplicatePolicy.values:
        raise ValidationError({"policy": [_("Choose one of the listed options.")]})
    mapping.check_mapping(columns, job.headers)
    job.mapping = list(columns)
    job.policy = policy
    job.tags = [clean_text(t)[:60] for t in (tags or []) if clean_text(t)][:20]
    job.save(update_fields=["mapping", "policy", "tags"])
    if save_as.strip():
        save_preset(actor, save_as, job.headers, job.mapping)
    return job


def save_preset(actor, name: str, headers: list[str], columns: list[str]) -> MappingPreset:
    require_write(actor)
    name = clean_text(name)
    if not name or len(name) > 100:
        raise ValidationError({"save_as": [_("A preset name has 1 to 100 characters.")]})
    preset, _created = MappingPreset.objects.update_or_create(
        name=name,
        defaults={
            "mapping": {h: t for h, t in zip(headers, columns, strict=True) if t},
            "created_by": actor,
        },
    )
    return preset


def preset_columns(job: ImportJob, preset: str) -> list[str]:
    """The mapping a built-in (``google``, ``outlook``) or saved preset gives this file."""
    if preset in mapping.BUILTIN_PRESETS:
        return mapping.apply_preset(mapping.BUILTIN_PRESETS[preset], job.headers)
    saved = MappingPreset.objects.filter(pk=preset if str(preset).isdigit() else None).first()
    if saved is None:
        raise ValidationError({"preset": [_("There is no such mapping preset.")]})
    return mapping.apply_preset(saved.mapping, job.headers)


@dataclass
class PreviewRow:
    number: int
    values: dict  # target label → value as it will be stored
    errors: list  # (column header, message)


def preview(job: ImportJob, limit: int = 10) -> list[PreviewRow]:
    """The first rows as they will be stored, or the reasons they will be rejected."""
    _only_draft(job)
    table = open_table(job.file.path, format=job.format, sheet=job.sheet or None)
    converter = mapping.RowConverter(job.mapping, job.headers)
    known = list(definitions("person"))
    labels = dict(mapping.targets())
    result = []
    for number, values in table.rows():
        row, problems = importer.read_row(converter, job, number, values, known)
        shown = _shown(row, labels) if row else {}
        result.append(PreviewRow(number, shown, problems))
        if len(result) >= limit:
            break
    return result


def _shown(row: importer.Row, labels: dict) -> dict:
    clean = row.clean
    shown = {}
    for target, label in labels.items():
        if target in importer.SCALARS and clean.get(target) not in ("", None):
            shown[str(label)] = clean[target]
    shown.update(
        {
            _("phones"): ", ".join(p["number"] for p in clean.get("phones", [])),
            _("e-mails"): ", ".join(e["address"] for e in clean.get("emails", [])),
            str(labels.get("organization", "")): row.org_name,
            str(labels.get("tags", "")): "، ".join(row.tag_names),
        }
    )
    return {k: v for k, v in shown.items() if v not in ("", None, [])}


def start(actor, job: ImportJob) -> ImportJob:
    """Hand the import to the worker."""
    require_write(actor)
    from .tasks import run_import

    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        _only_draft(job)
        mapping.check_mapping(job.mapping, job.headers)
        job.status = ImportJob.Status.QUEUED
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "heartbeat_at"])
    transaction.on_commit(lambda: run_import(job.pk))
    return job


def cancel(actor, job: ImportJob) -> ImportJob:
    """Stop an import after its current chunk; what was committed stays (undo removes it)."""
    require_write(actor)
    if not job.is_active:
        raise ValidationError(_("Only a waiting or running import can be cancelled."))
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.CANCELLED, cancel_requested=True, finished_at=timezone.now()
    )
    if not updated:
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    job.refresh_from_db()
    return job


def request_undo(actor, job: ImportJob) -> ImportJob:
    """Queue the undo: created records go to the trash, updated ones get their values back."""
    require_write(actor)
    from .tasks import undo_import

    if job.status not in (
        ImportJob.Status.DONE,
        ImportJob.Status.CANCELLED,
        ImportJob.Status.FAILED,
    ):
        raise ValidationError(_("Only a finished, cancelled or failed import can be undone."))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.UNDOING)
    job.refresh_from_db()
    transaction.on_commit(lambda: undo_import(job.pk))
    return job


def undo(job: ImportJob) -> ImportJob:
    """Reverse every committed chunk, newest first, each in its own transaction."""
    actor = job.created_by
    for chunk in job.chunks.order_by("-first_row"):
        with transaction.atomic():
            for update in reversed(chunk.updates):
                person = Person.objects.filter(pk=update["id"]).first()
                if person is not None:
                    try:
                        customers.update_person(
                            actor, person, update["before"], allow_duplicate=True
                        )
                    except (ValidationError, PermissionDenied):
                        # Edited since, so its values no longer fit: leave it as it is.
                        continue
            _trash_all(actor, Person, chunk.created_people)
            _trash_all(actor, Organization, chunk.created_organizations)
            chunk.delete()
    ImportFingerprint.objects.filter(job=job).delete()
    job.status = ImportJob.Status.UNDONE
    job.undone_at = timezone.now()
    job.save(update_fields=["status", "undone_at"])
    return job


def _trash_all(actor, model, ids: list[int]) -> None:
    """Move the live ones of ``ids`` to the trash in bulk, with one audit event each."""
    now = timezone.now()
    live = list(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    model.objects.filter(pk__in=live).update(
        deleted_at=now, deleted_by=actor, version=F("version") + 1, updated_at=now
    )
    content_type = AuditEvent.content_type.field.related_model.objects.get_for_model(model)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                at=now,
                actor=actor,
                action=AuditEvent.Action.DELETE,
                content_type=content_type,
                object_id=pk,
                object_repr=_("import undone"),
                subject_type=content_type,
                subject_id=pk,
            )
            for pk in live
        ],
        batch_size=500,
    )


def purge_old_files(now=None) -> int:
    """Delete uploaded files no longer needed: those of imports that ended more than the
    retention period ago, and abandoned drafts (with their job). Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(
        days=settings.PEYVAND["IMPORT_FILE_RETENTION_DAYS"]
    )
    ended = ImportJob.objects.filter(
        status__in=[
            ImportJob.Status.DONE,
            ImportJob.Status.CANCELLED,
            ImportJob.Status.FAILED,
            ImportJob.Status.UNDONE,
        ],
        finished_at__lt=cutoff,
    ).exclude(file="")
    drafts = ImportJob.objects.filter(status=ImportJob.Status.DRAFT, created_at__lt=cutoff)
    purged = 0
    for job in ended:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        purged += 1
    for job in drafts:
        job.file.delete(save=False)
        job.delete()
        purged += 1
    return purged


def run(job: ImportJob, progress=None) -> ImportJob:
    """Run a queued or interrupted import to its end (the worker's entry point)."""
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job
    return importer.run(job, progress)
