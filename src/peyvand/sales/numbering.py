"""Numbers of quotes and orders: a prefix, the Jalali year and a counter that restarts
each year (``PF-1405-00012``). The counter row is locked, so two users never get one number."""

import jdatetime
from django.db import transaction
from django.utils import timezone

from .models import DocumentSequence

PREFIXES = {"quote": "PF", "order": "SO"}


def next_number(kind: str, on=None) -> str:
    year = jdatetime.date.fromgregorian(date=on or timezone.localdate()).year
    with transaction.atomic():
        DocumentSequence.objects.get_or_create(kind=kind, year=year)
        sequence = DocumentSequence.objects.select_for_update().get(kind=kind, year=year)
        sequence.last += 1
        sequence.save(update_fields=["last"])
    return f"{PREFIXES[kind]}-{year}-{sequence.last:05d}"
