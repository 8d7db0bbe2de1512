"""The import wizard: upload, map the columns, preview, run with a progress bar, undo."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from peyvand.core.visibility import can_write

from . import mapping, selectors, services
from .models import DuplicatePolicy, ImportJob
from .readers import ImportFileError, open_table

PREVIEW_ROWS = 10
SAMPLE_ROWS = 3


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages_ in exc.message_dict.values() for m in messages_]
    return exc.messages


@login_required
def import_list(request):
    if request.method == "POST":
        try:
            job = services.create_import(request.user, request.FILES.get("file"))
        except (ValidationError, PermissionDenied) as exc:
            for message in _errors(exc) if isinstance(exc, ValidationError) else [str(exc)]:
                messages.error(request, message)
            return redirect("transfers:import_list")
        return redirect("transfers:import_detail", pk=job.pk)
    jobs = selectors.visible_imports(request.user)[:50]
    return render(
        request,
        "transfers/import_list.html",
        {"jobs": jobs, "can_write": can_write(request.user)},
    )


_ACTIONS = {"sheet", "preset", "map", "preview", "start", "cancel", "undo"}


@login_required
def import_detail(request, pk):
    job = selectors.get_import(request.user, pk)
    context = {"job": job}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            result = _act(request, job, action) if action in _ACTIONS else None
        except ValidationError as exc:
            # The page comes back with the reasons and with what the user chose on it.
            result = {"errors": _errors(exc), "columns": job.mapping}
        if result is None:
            return redirect("transfers:import_detail", pk=job.pk)
        context.update(result)
        job.status = ImportJob.objects.values_list("status", flat=True).get(pk=job.pk)
    if job.status == ImportJob.Status.DRAFT:
        context.update(_mapping_context(job, context.get("columns")))
    return render(request, "transfers/import_detail.html", context)


def _act(request, job: ImportJob, action: str):
    """Carry out a wizard step; a dict answer is shown on the page, None redirects."""
    post = request.POST
    if action == "sheet":
        services.choose_sheet(request.user, job, post.get("sheet", ""))
    elif action == "preset":
        job.mapping = services.preset_columns(job, post.get("preset", ""))
        return {"columns": job.mapping}
    elif action in ("map", "preview", "start"):
        columns = [post.get(f"column-{i}", "") for i in range(len(job.headers))]
        try:
            services.configure(
                request.user,
                job,
                columns=columns,
                policy=post.get("policy", DuplicatePolicy.SKIP),
                tags=[t for t in post.get("tags", "").replace("،", ",").split(",")],
                save_as=post.get("save_as", ""),
            )
        except ValidationError:
            job.mapping = columns  # keep what the user chose on the page they get back
            raise
        if action == "preview":
            return {"preview": services.preview(job, PREVIEW_ROWS)}
        if action == "start":
            services.start(request.user, job)
    elif action == "cancel":
        services.cancel(request.user, job)
    elif action == "undo":
        services.request_undo(request.user, job)
    return None


def _mapping_context(job: ImportJob, columns=None) -> dict:
    samples = [[] for _header in job.headers]
    for i, row in enumerate(_sample_rows(job)):
        if i >= SAMPLE_ROWS:
            break
        for column, value in enumerate(row):
            samples[column].append(value)
    columns = columns or job.mapping
    return {
        "columns": list(zip(job.headers, columns, samples, strict=False)),
        "targets": mapping.targets(),
        "sheets": services.sheets(job),
        "presets": selectors.presets(),
        "builtin_presets": [("google", "Google Contacts"), ("outlook", "Outlook")],
        "policies": DuplicatePolicy.choices,
    }


def _sample_rows(job: ImportJob):
    try:
        table = open_table(job.file.path, format=job.format, sheet=job.sheet or None)
        for _number, values in table.rows():
            yield values
    except ImportFileError:
        return


@login_required
def import_progress(request, pk):
    job = selectors.get_import(request.user, pk)
    return render(request, "transfers/_import_progress.html", {"job": job})


@login_required
def import_report(request, pk):
    """The rejected rows as CSV: row number, column and reason, in the user's language."""
    return selectors.rejected_report(selectors.get_import(request.user, pk))
