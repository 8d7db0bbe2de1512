"""Compile every .po file of the project into .mo with polib (no GNU gettext needed)."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the project's translations (.po → .mo)."

    def handle(self, *args, **options):
        roots = [Path(p) for p in settings.LOCALE_PATHS] + [Path(__file__).resolve().parents[3]]
        count = 0
        for root in roots:
            for po_path in root.rglob("LC_MESSAGES/*.po"):
                polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
                count += 1
        self.stdout.write(f"compiled {count} translation catalogues")
