"""Exports too large to stream in a request: the worker writes the file, the creator downloads it.

The request validates everything (entity, format, columns, filters) and counts the filtered
list no further than ``EXPORT_INLINE_LIMIT``; a longer list becomes an ``ExportJob``. The
worker applies the creator's visibility again, through the same selector as the list,
writes the rows chunk by chunk (the row generator and writers of ``customers.export``) to a
file under ``MEDIA_ROOT/exports`` and notifies the creator. Only the creator sees a job or
downloads its file; the nightly task deletes jobs and files after ``EXPORT_RETENTION_DAYS``.
"""

import logging
import secrets
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from peyvand.activities.models import Notification
from peyvand.core.persian import to_persian_digits
from peyvand.customers import export
from peyvand.customers.custom_fields import definitions
from peyvand.customers.selectors import customers_count

from .models import ExportJob

logger = logging.getLogger(__name__)

ENTITY_LABELS = {"person": gettext_lazy("People"), "organization": gettext_lazy("Organizations")}
# The list filters an export accepts; custom fields add ``cf_<key>``.
FILTERS = ("q", "tag", "owner", "stage", "province", "city")
MAX_FILTER_LENGTH = 200
# A job still queued or running this long after it was asked for lost its worker.
STALE_AFTER = timedelta(hours=6)


# ---- validation ---------------------------------------------------------------------------


def check_entity(entity) -> str:
    if entity not in ENTITY_LABELS:
        raise ValidationError({"entity": [_("Choose person or organization.")]})
    return entity


def filter_names(entity: str) -> list[str]:
    return [*FILTERS, *(f"cf_{d.key}" for d in definitions(entity))]


def list_filters(entity: str, params) -> dict[str, str]:
    """The list's filters out of a query string (format, columns, cursor… left out)."""
    return {name: params.get(name) for name in filter_names(entity) if params.get(name)}


def clean_filters(entity: str, filters: Mapping) -> dict[str, str]:
    """Filter name → text; an unknown name or an over-long value is a clear error."""
    known = set(filter_names(entity))
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for name, value in filters.items():
        if name not in known:
            errors[name] = [_("Unknown filter.")]
        elif len(str(value)) > MAX_FILTER_LENGTH:
            errors[name] = [_("Enter at most %(count)s characters.") % {"count": MAX_FILTER_LENGTH}]
        elif value not in (None, ""):
            cleaned[name] = str(value)
    if errors:
        raise ValidationError(errors)
    return cleaned


# ---- asking for an export -----------------------------------------------------------------


def inline_limit() -> int:
    return settings.PEYVAND["EXPORT_INLINE_LIMIT"]


def is_large(user, entity: str, params) -> bool:
    """Whether the filtered list has more rows than an export streamed in the request may."""
    return not customers_count(user, entity, params, inline_limit()).is_exact


def stream_or_queue(user, entity: str, params, fmt: str, columns):
    """The download streamed now when the filtered list is small, else a queued ExportJob.

    Raises ValidationError for a bad format, column or filter.
    """
    if is_large(user, entity, params):
        return start_export(user, entity, fmt, columns, list_filters(entity, params))
    return export.http_response(user, entity, params, fmt, columns)


def start_export(user, entity, fmt, columns, filters: Mapping) -> ExportJob:
    """Validate, save the job and hand it to the worker; nothing is saved on bad input."""
    entity = check_entity(entity)
    fmt = export.check_format(fmt)
    chosen = [c for c in (columns or []) if c]
    export.choose_columns(entity, chosen)
    cleaned = clean_filters(entity, filters)
    export.rows(user, entity, cleaned, {})  # builds the query: a malformed filter raises here
    job = ExportJob.objects.create(
        created_by=user, entity=entity, format=fmt, columns=chosen, params=cleaned
    )
    # The worker may only look for the row once it is committed (at once in autocommit).
    transaction.on_commit(partial(run_export_job, job.pk))
    job.refresh_from_db()  # Huey's immediate mode may have finished it already
    return job


def queued_message() -> str:
    return _(
        "The list is long, so the file is being prepared in the background. "
        "You will get a notification when it is ready to download here."
    )


# ---- reading jobs -------------------------------------------------------------------------


def jobs_of(user):
    """The user's own export jobs, newest first: nobody else sees them."""
    return ExportJob.objects.filter(created_by=user)


def job_of(user, pk) -> ExportJob:
    return get_object_or_404(jobs_of(user), pk=pk)


def has_active(jobs) -> bool:
    return any(job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) for job in jobs)


def download_response(user, pk) -> FileResponse:
    """The finished file of the user's own job; 404 for anyone else's, or before it is ready."""
    job = job_of(user, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{export.file_name(job.entity, timezone.localdate(job.created_at))}.{job.format}",
        content_type=export.CONTENT_TYPES[job.format],
    )


# ---- the worker ---------------------------------------------------------------------------


class _CountedRows:
    """Passes rows through and counts the data rows (the header is not one)."""

    def __init__(self, rows):
        self.rows = rows
        self.count = 0

    def __iter__(self):
        header = True
        for row in self.rows:
            if not header:
                self.count += 1
            header = False
            yield row


def _write(job: ExportJob) -> int:
    """Write the job's file and return its number of rows."""
    columns = export.choose_columns(job.entity, job.columns)
    rows = _CountedRows(export.rows(job.created_by, job.entity, job.params, columns))
    stem = export.file_name(job.entity, timezone.localdate(job.created_at))
    # An unguessable name: the file is only ever sent through the creator's download view.
    name = f"{stem}-{job.pk}-{secrets.token_hex(8)}.{job.format}"
    with tempfile.TemporaryFile() as handle:
        export.write_file(job.format, rows, handle)
        job.file.save(name, File(handle, name=name), save=False)
    return rows.count


def _localised_count(count: int, language: str) -> str:
    text = f"{count:,}"
    return to_persian_digits(text) if language.startswith("fa") else text


def _notify(job: ExportJob) -> None:
    user = job.created_by
    with translation.override(user.language):
        if job.status == ExportJob.Status.DONE:
            message = _("Your export of %(count)s rows is ready to download on the Exports page.")
            message %= {"count": _localised_count(job.row_count, user.language)}
        else:
            message = _("Your export could not be made. Please ask for it again.")
    Notification.objects.create(user=user, message=message[:300])


def run_export(job_id: int) -> None:
    """Write one queued job's file. A job already taken by a worker is left alone."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        with translation.override(job.created_by.language):  # column labels, choice names
            job.row_count = _write(job)
        job.status = ExportJob.Status.DONE
    except Exception:
        logger.exception("export job %s failed", job_id)
        job.status = ExportJob.Status.FAILED
        with translation.override(job.created_by.language):
            job.error = _("The file could not be written. Please ask for it again.")
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "row_count", "file", "error", "finished_at"])
    _notify(job)


def purge_expired(now=None) -> int:
    """Delete jobs and files older than the retention period; fail jobs that lost their worker."""
    now = now or timezone.now()
    ExportJob.objects.filter(
        status__in=(ExportJob.Status.QUEUED, ExportJob.Status.RUNNING),
        created_at__lt=now - STALE_AFTER,
    ).update(
        status=ExportJob.Status.FAILED,
        error=_("The export was interrupted. Please ask for it again."),
        finished_at=now,
    )
    expired = ExportJob.objects.filter(
        created_at__lt=now - timedelta(days=settings.PEYVAND["EXPORT_RETENTION_DAYS"])
    )
    purged = 0
    for job in expired.iterator():
        if job.file:
            job.file.delete(save=False)
        job.delete()
        purged += 1
    return purged


@db_task()
def run_export_job(job_id: int) -> None:
    run_export(job_id)


@db_periodic_task(crontab(minute="53", hour="3"))
def purge_expired_exports() -> int:
    return purge_expired()
