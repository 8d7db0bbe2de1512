"""Background work on customers: the duplicate scan, on request and every night."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import duplicates
from .models import DuplicateScan


@db_task()
def scan_duplicates(scan_id: int):
    scan = DuplicateScan.objects.filter(pk=scan_id).first()
    if scan is not None and scan.status == DuplicateScan.Status.QUEUED:
        duplicates.run_scan(scan)


@db_periodic_task(crontab(minute="23", hour="2"))
def nightly_duplicate_scan():
    duplicates.run_scan()
