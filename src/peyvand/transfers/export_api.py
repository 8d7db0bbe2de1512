"""API of export jobs: ask for an export, follow it, download the file.

A job is its creator's alone: anyone else's id answers 404.
"""

from django.http import HttpResponse
from ninja import Query, Router

from peyvand.core.pagination import keyset_page
from peyvand.core.schemas import ListQuery, Page, RecordId

from . import exports
from .export_schemas import ExportIn, ExportJobOut, accepted

router = Router(tags=["exports"])


@router.post("/exports", response={202: ExportJobOut}, url_name="create_export")
def create_export(request, payload: ExportIn, response: HttpResponse):
    """Export a filtered list of people or organisations in the worker, whatever its size;
    poll the job until `status` is `done`, then fetch `download_url`."""
    job = exports.start_export(
        request.auth, payload.entity, payload.format, payload.columns, payload.filters
    )
    return accepted(response, job)


@router.get("/exports", response=Page[ExportJobOut], url_name="list_exports")
def list_exports(request, params: Query[ListQuery]):
    """Your own export jobs, newest first."""
    items, next_cursor = keyset_page(
        exports.jobs_of(request.auth), "created_at", True, params.cursor, params.page_size
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/exports/{id}", response=ExportJobOut, url_name="get_export")
def get_export(request, id: RecordId):
    return exports.job_of(request.auth, id)


@router.get("/exports/{id}/download", url_name="download_export")
def download_export(request, id: RecordId):
    """The finished file (CSV or XLSX); 404 before it is ready."""
    return exports.download_response(request.auth, id)
