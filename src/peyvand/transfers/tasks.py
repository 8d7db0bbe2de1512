from django.db import close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

# Export tasks live with the export service; importing them here registers them with
# the worker, which only imports each app's ``tasks`` module.
from .exports import purge_expired_exports, run_export_job  # noqa: F401
from .importer import interrupted_jobs
from .models import ImportJob
from .services import purge_old_files, run, undo


@db_task()
def run_import(job_id: int):
    job = ImportJob.objects.filter(pk=job_id).select_related("created_by").first()
    if job is not None:
        run(job)


@db_task()
def undo_import(job_id: int):
    job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.UNDOING).first()
    if job is not None:
        undo(job)


@db_periodic_task(crontab(minute="*"))
def resume_interrupted_imports():
    """Hand imports whose worker died back to the queue; each resumes after its last chunk."""
    for job_id in interrupted_jobs().values_list("pk", flat=True):
        run_import(job_id)


@on_startup()
def resume_on_startup():
    # A worker that starts after a crash should not wait for the next minute's check.
    close_old_connections()
    resume_interrupted_imports.call_local()


@db_periodic_task(crontab(minute="23", hour="4"))
def purge_old_import_files():
    return purge_old_files()
