"""``peyvand import_leads FILE --user EMAIL``: import leads from a CSV or XLSX file."""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from peyvand.accounts.models import User
from peyvand.sales.lead_import import import_leads
from peyvand.transfers.readers import ImportFileError


class Command(BaseCommand):
    help = (
        "Import leads from a CSV (UTF-8 or Windows-1256) or XLSX file. Columns are recognised "
        "by their Persian or English headers (name, mobile, e-mail, company, province, "
        "source, utm_source/medium/campaign, product...). Leads without an owner column go "
        "through the assignment rules and are scored; bad rows are reported, good rows kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="E-mail of the user who imports.")
        parser.add_argument("--sheet", help="XLSX sheet (default: the first).")

    def handle(self, *args, **options):
        user = User.objects.filter(email__iexact=options["user"], is_active=True).first()
        if user is None:
            raise CommandError("There is no active user with this e-mail.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            report = import_leads(user, path, sheet=options["sheet"])
        except (ImportFileError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        for row, column, message in report.problems:
            self.stderr.write(f"row {row}, {column}: {message}")
        self.stdout.write(
            f"{len(report.created)} leads imported, {report.rejected_rows} rows rejected"
        )
