"""API shapes of export jobs, shared by ``POST /exports`` and the lists' export endpoints."""

from datetime import datetime

from django.urls import reverse
from ninja import Schema, Status
from pydantic import Field

from .models import ExportJob

MAX_COLUMNS = 100


class ExportIn(Schema):
    entity: str = Field(description="person or organization")
    format: str = Field("csv", description="csv or xlsx")
    columns: list[str] = Field(
        default_factory=list,
        max_length=MAX_COLUMNS,
        description="Column keys, as in the list's export (all when empty).",
    )
    filters: dict[str, str | int] = Field(
        default_factory=dict,
        description="The list's filters: q, tag, owner, stage, province, city, cf_<key>.",
    )


class ExportJobOut(Schema):
    id: int
    entity: str
    format: str
    columns: list[str]
    filters: dict[str, str] = Field(validation_alias="params")
    status: str = Field(description="queued, running, done or failed")
    status_label: str
    row_count: int
    error: str
    created_at: datetime
    finished_at: datetime | None
    download_url: str | None = Field(description="Set once the file is ready.")

    @staticmethod
    def resolve_status_label(job: ExportJob) -> str:
        return str(job.get_status_display())

    @staticmethod
    def resolve_download_url(job: ExportJob) -> str | None:
        if job.status != ExportJob.Status.DONE:
            return None
        return reverse("api:download_export", kwargs={"id": job.pk})


def accepted(response, job: ExportJob):
    """202 Accepted with the job, and its address in ``Location``."""
    response["Location"] = reverse("api:get_export", kwargs={"id": job.pk})
    return Status(202, job)
