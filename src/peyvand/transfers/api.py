"""API of imports: upload a file, set its mapping, preview, start, follow, cancel, undo."""

from datetime import datetime

from django.http import StreamingHttpResponse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from peyvand.core.schemas import InputSchema, RecordId

from . import mapping, selectors, services
from .models import DuplicatePolicy, ImportJob

router = Router(tags=["imports"])


class ImportOut(Schema):
    id: int
    file_name: str
    format: str
    encoding: str
    sheet: str
    sheets: list[str]
    headers: list[str]
    mapping: list[str]
    policy: str
    tags: list[str]
    status: str
    status_label: str
    total_rows: int | None
    processed_rows: int
    progress_percent: int
    created_count: int
    updated_count: int
    skipped_count: int
    rejected_count: int
    error: str
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_sheets(job):
        return services.sheets(job) if job.status == ImportJob.Status.DRAFT else []

    @staticmethod
    def resolve_status_label(job):
        return str(job.get_status_display())


class MappingIn(InputSchema):
    columns: list[str] | None = None
    preset: str | None = None
    sheet: str | None = None
    policy: str = DuplicatePolicy.SKIP
    tags: list[str] = []
    save_as: str = ""


class PreviewRowOut(Schema):
    row: int
    values: dict[str, str]
    errors: list[dict[str, str]]


class TargetOut(Schema):
    key: str
    label: str


class PresetOut(Schema):
    id: str
    name: str
    mapping: dict[str, str]


@router.post("/imports", response={201: ImportOut})
def create_import(request, file: File[UploadedFile]):
    return Status(201, services.create_import(request.user, file))


@router.get("/imports", response=list[ImportOut])
def list_imports(request):
    return list(selectors.visible_imports(request.user)[:100])


@router.get("/imports/targets", response=list[TargetOut])
def import_targets(request):
    return [{"key": key, "label": str(label)} for key, label in mapping.targets()]


@router.get("/imports/presets", response=list[PresetOut])
def import_presets(request):
    builtin = [
        {"id": key, "name": key, "mapping": preset}
        for key, preset in mapping.BUILTIN_PRESETS.items()
    ]
    saved = [{"id": str(p.pk), "name": p.name, "mapping": p.mapping} for p in selectors.presets()]
    return builtin + saved


@router.get("/imports/{id}", response=ImportOut)
def get_import(request, id: RecordId):  # noqa: A002 (the API's word)
    return selectors.get_import(request.user, id)


@router.put("/imports/{id}/mapping", response=ImportOut)
def set_mapping(request, id: RecordId, payload: MappingIn):  # noqa: A002
    job = selectors.get_import(request.user, id)
    if payload.sheet:
        services.choose_sheet(request.user, job, payload.sheet)
    columns = payload.columns
    if columns is None:
        columns = services.preset_columns(job, payload.preset) if payload.preset else job.mapping
    return services.configure(
        request.user,
        job,
        columns=columns,
        policy=payload.policy,
        tags=payload.tags,
        save_as=payload.save_as,
    )


@router.get("/imports/{id}/preview", response=list[PreviewRowOut])
def preview(request, id: RecordId, limit: int = 10):  # noqa: A002
    job = selectors.get_import(request.user, id)
    return [
        {
            "row": row.number,
            "values": {k: str(v) for k, v in row.values.items()},
            "errors": [{"column": c, "message": m} for c, m in row.errors],
        }
        for row in services.preview(job, max(1, min(limit, 100)))
    ]


@router.post("/imports/{id}/start", response={202: ImportOut})
def start(request, id: RecordId):  # noqa: A002
    job = services.start(request.user, selectors.get_import(request.user, id))
    job.refresh_from_db()
    return Status(202, job)


@router.post("/imports/{id}/cancel", response=ImportOut)
def cancel(request, id: RecordId):  # noqa: A002
    return services.cancel(request.user, selectors.get_import(request.user, id))


@router.post("/imports/{id}/undo", response={202: ImportOut})
def undo(request, id: RecordId):  # noqa: A002
    job = services.request_undo(request.user, selectors.get_import(request.user, id))
    job.refresh_from_db()
    return Status(202, job)


@router.get("/imports/{id}/report")
def report(request, id: RecordId) -> StreamingHttpResponse:  # noqa: A002
    """The rejected rows as CSV (row, column, reason), in the caller's language."""
    return selectors.rejected_report(selectors.get_import(request.user, id))
