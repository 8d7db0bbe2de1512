"""Reads on import jobs: a user sees the imports they started; an administrator sees all."""

from django.http import Http404, StreamingHttpResponse
from django.utils.translation import gettext as _

from peyvand.customers.export import csv_chunks, neutralise

from .models import ImportJob, MappingPreset


def visible_imports(user):
    jobs = ImportJob.objects.select_related("created_by")
    if user is None or not user.is_authenticated:
        return jobs.none()
    return jobs if user.is_admin else jobs.filter(created_by=user)


def get_import(user, pk) -> ImportJob:
    job = visible_imports(user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def presets():
    return MappingPreset.objects.all()


def rejected_report(job: ImportJob) -> StreamingHttpResponse:
    """The rejected rows as CSV (row, column, reason), streamed, cells made formula-safe."""

    def rows():
        yield [_("Row"), _("Column"), _("Reason")]
        for issue in job.issues.order_by("row_number", "id").iterator(chunk_size=2000):
            yield [str(issue.row_number), neutralise(issue.column), neutralise(issue.message)]

    response = StreamingHttpResponse(csv_chunks(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-rejected.csv"'
    return response
