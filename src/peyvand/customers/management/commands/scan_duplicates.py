"""``peyvand scan_duplicates``: scan every person for duplicates now, in this process."""

import json

from django.core.management.base import BaseCommand

from peyvand.customers.duplicates import run_scan


class Command(BaseCommand):
    help = "Scan every live person for likely duplicates and refresh the review queue."

    def handle(self, *args, **options):
        scan = run_scan()
        self.stdout.write(json.dumps({"status": scan.status, **scan.stats}))
