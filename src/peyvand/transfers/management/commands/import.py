"""``peyvand import FILE``: import people from CSV, XLSX or vCard, with a progress bar."""

import sys
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from peyvand.accounts.models import User
from peyvand.core.management.commands._errors import command_error
from peyvand.transfers import services
from peyvand.transfers.models import DuplicatePolicy, ImportJob

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Import people from a CSV (UTF-8 or Windows-1256), XLSX or vCard file. Columns are "
        "mapped from their headers unless --preset or --map says otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="E-mail of the user who imports.")
        parser.add_argument("--sheet", help="XLSX sheet (default: the first).")
        parser.add_argument("--preset", help="google, outlook, or a saved preset's id.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=TARGET",
            help="Map one column, e.g. --map 'موبایل=phone_mobile'; TARGET empty leaves it out.",
        )
        parser.add_argument(
            "--policy", choices=DuplicatePolicy.values, default=DuplicatePolicy.SKIP
        )
        parser.add_argument("--tag", action="append", default=[], help="Tag every person.")
        parser.add_argument(
            "--preview", action="store_true", help="Show the mapping and the first rows only."
        )
        parser.add_argument(
            "--queue", action="store_true", help="Let the worker run it; follow its progress."
        )

    def handle(self, *args, **options):
        user = User.objects.filter(email__iexact=options["user"], is_active=True).first()
        if user is None:
            raise CommandError("There is no active user with this e-mail.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            job = self._prepare(user, path, options)
            if options["preview"]:
                return self._preview(job)
            job = services.start(user, job)
            if options["queue"]:
                job = self._follow(job)
            else:
                job = services.run(ImportJob.objects.get(pk=job.pk), progress=self._bar)
        except ValidationError as exc:
            raise command_error(exc) from None
        self.stderr.write("")
        self.stdout.write(
            f"import {job.pk}: {job.get_status_display()}; {job.created_count} new, "
            f"{job.updated_count} updated, {job.skipped_count} skipped, "
            f"{job.rejected_count} rejected"
        )
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.error)

    def _prepare(self, user, path: Path, options) -> ImportJob:
        with path.open("rb") as handle:
            job = services.create_import(user, File(handle, name=path.name))
        if options["sheet"]:
            job = services.choose_sheet(user, job, options["sheet"])
        columns = (
            services.preset_columns(job, options["preset"]) if options["preset"] else job.mapping
        )
        columns = list(columns)
        for item in options["map"]:
            header, _sep, target = item.partition("=")
            if header.strip() not in job.headers:
                raise CommandError(f"The file has no column named {header.strip()!r}.")
            columns[job.headers.index(header.strip())] = target.strip()
        return services.configure(
            user, job, columns=columns, policy=options["policy"], tags=options["tag"]
        )

    def _preview(self, job: ImportJob) -> None:
        for header, target in zip(job.headers, job.mapping, strict=True):
            self.stdout.write(f"{header} -> {target or '(left out)'}")
        for row in services.preview(job):
            if row.errors:
                problems = "; ".join(f"{c}: {m}" if c else m for c, m in row.errors)
                self.stdout.write(f"row {row.number}: rejected: {problems}")
            else:
                values = ", ".join(f"{k}={v}" for k, v in row.values.items())
                self.stdout.write(f"row {row.number}: {values}")

    def _follow(self, job: ImportJob) -> ImportJob:
        while job.status not in (
            ImportJob.Status.DONE,
            ImportJob.Status.CANCELLED,
            ImportJob.Status.FAILED,
        ):
            time.sleep(1)
            job.refresh_from_db()
            self._bar(job)
        return job

    def _bar(self, job: ImportJob) -> None:
        if not sys.stderr.isatty() and job.processed_rows % 50_000 and job.is_active:
            return  # in a log, a line every 50,000 rows is enough
        filled = BAR_WIDTH * job.progress_percent // 100
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        total = job.total_rows if job.total_rows is not None else "?"
        end = "\r" if sys.stderr.isatty() else "\n"
        self.stderr.write(
            f"[{bar}] {job.progress_percent:3d}% {job.processed_rows}/{total} rows", ending=end
        )
