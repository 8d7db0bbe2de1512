"""Import and export jobs: files coming in and going out, run by the worker.

An import is processed in chunks; each chunk's records, its rejected rows and the
job's checkpoint are written in one transaction, so a killed worker resumes after the
last committed chunk and never writes a row twice.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Format(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    VCARD = "vcard", "vCard"


class DuplicatePolicy(models.TextChoices):
    SKIP = "skip", _("Skip the row")
    FILL_EMPTY = "fill_empty", _("Fill the existing record's empty fields")
    OVERWRITE = "overwrite", _("Overwrite the existing record")


class ImportJob(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")
        UNDOING = "undoing", _("Being undone")
        UNDONE = "undone", _("Undone")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    file = models.FileField(upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file"), max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    headers = models.JSONField(default=list)
    # One target per column (position-aligned with ``headers``); "" leaves a column out.
    mapping = models.JSONField(default=list)
    policy = models.CharField(
        _("when a row matches an existing record"),
        max_length=12,
        choices=DuplicatePolicy.choices,
        default=DuplicatePolicy.SKIP,
    )
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    total_rows = models.PositiveIntegerField(null=True)
    # Rows (1-based data rows) fully handled and committed: the resume point.
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Written by the runner after every chunk; a running import whose heartbeat stopped
    # lost its worker and is resumed by the next one.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return self.file_name

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class ImportChunk(models.Model):
    """What one committed chunk of an import did, so the import can be undone."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    first_row = models.PositiveIntegerField()
    last_row = models.PositiveIntegerField()
    created_people = models.JSONField(default=list)
    created_organizations = models.JSONField(default=list)
    # [{"id": person id, "before": {field: old value}}]: what the chunk overwrote.
    updates = models.JSONField(default=list)

    class Meta:
        ordering = ["first_row"]
        constraints = [
            models.UniqueConstraint(fields=["job", "first_row"], name="import_chunk_unique")
        ]


class ImportIssue(models.Model):
    """A rejected row: its number in the file, the column and the reason."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=255, blank=True)
    message = models.TextField(_("reason"))

    class Meta:
        ordering = ["row_number", "id"]


class ImportFingerprint(models.Model):
    """A digest of an imported row's cleaned values: the same row imported again is skipped."""

    digest = models.CharField(max_length=32, unique=True)
    person_id = models.BigIntegerField()
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+")


class MappingPreset(models.Model):
    """A saved column mapping: header text → target field."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mapping preset")
        verbose_name_plural = _("mapping presets")

    def __str__(self):
        return self.name


class ExportJob(models.Model):
    """An export too large to stream in the request; the worker writes the file."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready to download")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    entity = models.CharField(max_length=16)
    format = models.CharField(max_length=8)
    params = models.JSONField(default=dict)
    columns = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    row_count = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
