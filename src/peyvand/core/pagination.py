"""Keyset pagination: pages walk an index by (sort value, id), never by OFFSET.

Totals are counted no further than a limit (``count_up_to``): past it a list says "more
than N" rather than run a COUNT(*) over a million rows for every page.
"""

import base64
import datetime as dt
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _encode(value, pk) -> str:
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    raw = json.dumps([value, pk], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, field: models.Field):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(field, models.DateTimeField):
            value = parse_datetime(value)
            if value is None:
                raise ValueError
        if not isinstance(pk, int):
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationError({"cursor": [_("This page cursor is not valid.")]}) from None
    return value, pk


def keyset_page(queryset, field: str, descending: bool, cursor: str | None, limit: int):
    """One page of ``queryset`` ordered by ``field`` then id, and the cursor of the next page."""
    model_field = queryset.model._meta.get_field(field)
    ordering = (f"-{field}", "-id") if descending else (field, "id")
    queryset = queryset.order_by(*ordering)
    if cursor:
        value, pk = _decode(cursor, model_field)
        op = "lt" if descending else "gt"
        queryset = queryset.filter(
            Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"id__{op}": pk})
        )
    items = list(queryset[: limit + 1])
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        last = items[-1]
        next_cursor = _encode(getattr(last, field), last.pk)
    return items, next_cursor


@dataclass(frozen=True)
class BoundedCount:
    """How many rows match, counted up to a limit; when not exact, more than ``value`` match."""

    value: int
    is_exact: bool

    @property
    def label(self) -> str:
        """``12 results`` or ``More than 10,000 results`` (digits localised by the template)."""
        count = f"{self.value:,}"
        if not self.is_exact:
            return _("More than %(count)s results") % {"count": count}
        return ngettext("%(count)s result", "%(count)s results", self.value) % {"count": count}


def count_up_to(queryset, limit: int) -> BoundedCount:
    """Count ``queryset`` with ``LIMIT limit + 1``: exact up to ``limit``, a lower bound past it."""
    found = queryset.order_by()[: limit + 1].count()
    return BoundedCount(min(found, limit), found <= limit)
