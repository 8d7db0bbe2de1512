"""The Exports page: the user's own export jobs, polled by HTMX while one is running, and
the download of a finished file (the creator's only; anyone else gets 404)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import exports

# The page lists this many of the user's newest jobs; older ones are purged anyway.
LISTED_JOBS = 50


def _rows(jobs) -> list[dict]:
    return [
        {
            "job": job,
            "entity": exports.ENTITY_LABELS.get(job.entity, ""),
            "rows": f"{job.row_count:,}",
        }
        for job in jobs
    ]


@login_required
def export_list(request):
    jobs = list(exports.jobs_of(request.user)[:LISTED_JOBS])
    context = {
        "rows": _rows(jobs),
        "polling": exports.has_active(jobs),
        "retention_days": settings.PEYVAND["EXPORT_RETENTION_DAYS"],
    }
    template = "transfers/_export_jobs.html" if request.htmx else "transfers/export_list.html"
    return render(request, template, context)


@login_required
def export_download(request, pk):
    return exports.download_response(request.user, pk)
