"""Exporting the current filtered list of people or organisations to CSV or XLSX.

Rows come from the same selectors as the list (visibility applies), are read in chunks
and written as they come, so an export of a million rows never holds them all in memory.
Cells a spreadsheet would run as a formula are neutralised. The same row generator and
writers serve the download streamed in the request and the file the worker writes for a
large export (``peyvand.transfers.exports``).
"""

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from peyvand.core import jalali
from peyvand.core.phone import display_phone

from .custom_fields import definitions
from .models import Membership
from .selectors import filter_customers, visible_organizations, visible_people

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 2000
# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice
# and Google Sheets; a leading apostrophe makes it plain text (OWASP's advice).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable
    # Related rows ``value`` reads: prefetched once per chunk, only when the column is chosen.
    needs: tuple[str, ...] = ()


def _join(values) -> str:
    return "، ".join(v for v in values if v)


def _common_columns() -> dict[str, Column]:
    return {
        "id": Column(gettext_lazy("ID"), lambda o: o.pk),
        "phones": Column(
            gettext_lazy("Phones"),
            lambda o: _join(display_phone(p.number) for p in o.phones.all()),
            ("phones",),
        ),
        "emails": Column(
            gettext_lazy("E-mails"), lambda o: _join(e.address for e in o.emails.all()), ("emails",)
        ),
        "province": Column(
            gettext_lazy("Province"),
            lambda o: _join(str(a.province or "") for a in o.addresses.all()),
            ("addresses__province",),
        ),
        "city": Column(
            gettext_lazy("City"),
            lambda o: _join(str(a.city or "") for a in o.addresses.all()),
            ("addresses__city",),
        ),
        "lifecycle_stage": Column(
            gettext_lazy("Lifecycle stage"), lambda o: o.get_lifecycle_stage_display()
        ),
        "source": Column(gettext_lazy("Source"), lambda o: o.get_source_display()),
        "owner": Column(gettext_lazy("Owner"), lambda o: str(o.owner)),
        "team": Column(gettext_lazy("Team"), lambda o: str(o.team or "")),
        "tags": Column(
            gettext_lazy("Tags"), lambda o: _join(t.name for t in o.tags.all()), ("tags",)
        ),
        "created_at": Column(
            gettext_lazy("Created"), lambda o: jalali.format_datetime(o.created_at)
        ),
    }


def _person_columns() -> dict[str, Column]:
    return {
        "first_name": Column(gettext_lazy("First name"), lambda p: p.first_name),
        "last_name": Column(gettext_lazy("Last name"), lambda p: p.last_name),
        "national_id": Column(gettext_lazy("National ID"), lambda p: p.national_id),
        "birthday": Column(gettext_lazy("Birthday"), lambda p: jalali.format_date(p.birthday)),
        "gender": Column(gettext_lazy("Gender"), lambda p: p.get_gender_display()),
        "organizations": Column(
            gettext_lazy("Organizations"),
            lambda p: _join(m.organization.name for m in p.memberships.all()),
            ("memberships",),
        ),
        **_common_columns(),
    }


def _organization_columns() -> dict[str, Column]:
    return {
        "name": Column(gettext_lazy("Name"), lambda o: o.name),
        "national_id": Column(gettext_lazy("National ID"), lambda o: o.national_id),
        "economic_code": Column(gettext_lazy("Economic code"), lambda o: o.economic_code),
        "industry": Column(gettext_lazy("Industry"), lambda o: o.industry),
        "website": Column(gettext_lazy("Website"), lambda o: o.website),
        **_common_columns(),
    }


def _custom_value(key):
    def value(obj):
        stored = (obj.custom or {}).get(key)
        if isinstance(stored, list):
            return _join(map(str, stored))
        if isinstance(stored, bool):
            return _("Yes") if stored else _("No")
        return stored

    return value


def available_columns(entity: str) -> dict[str, Column]:
    """Every column an export of ``entity`` may have, in display order."""
    columns = _person_columns() if entity == "person" else _organization_columns()
    for definition in definitions(entity):
        columns[f"cf_{definition.key}"] = Column(definition.label, _custom_value(definition.key))
    return columns


def choose_columns(entity: str, requested) -> dict[str, Column]:
    """The requested columns (all when none are named); an unknown one is a clear error."""
    columns = available_columns(entity)
    requested = [c for c in (requested or []) if c]
    unknown = [c for c in requested if c not in columns]
    if unknown:
        raise ValidationError(
            {"columns": [_("Unknown columns: %(names)s") % {"names": ", ".join(unknown)}]}
        )
    return {key: columns[key] for key in requested} if requested else columns


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationError({"format": [_("Choose csv or xlsx.")]})
    return fmt


def _prefetch(need: str):
    if need == "memberships":  # a trashed organisation is no longer listed on the person
        return Prefetch(
            "memberships",
            queryset=Membership.objects.filter(
                organization__deleted_at__isnull=True
            ).select_related("organization"),
        )
    return need


def _queryset(user, entity: str, params, columns: dict[str, Column]):
    visible = visible_people if entity == "person" else visible_organizations
    needs = dict.fromkeys(need for column in columns.values() for need in column.needs)
    queryset = filter_customers(visible(user), entity, params)
    return (
        queryset.select_related("owner", "team")
        .prefetch_related(*map(_prefetch, needs))
        .order_by("name_key", "id")
    )


def rows(user, entity: str, params, columns: dict[str, Column]) -> Iterator[list[str]]:
    """The header, then one neutralised row per visible, filtered record, read in chunks.

    The query is built (and bad filters reported) now; rows are read as they are consumed.
    """
    queryset = _queryset(user, entity, params, columns)
    return _rows(queryset, columns)


def _rows(queryset, columns):
    yield [neutralise(column.label) for column in columns.values()]
    for obj in queryset.iterator(chunk_size=CHUNK):
        yield [neutralise(column.value(obj)) for column in columns.values()]


class _Echo:
    """A file-like object whose write returns what it was given, for streaming CSV."""

    def write(self, value):
        return value


def csv_chunks(row_iter) -> Iterator[str]:
    """UTF-8 CSV with a BOM, so Excel opens Persian text correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in row_iter:
        yield writer.writerow(row)


def write_csv(row_iter, handle) -> None:
    """Write the rows to a binary file as UTF-8 CSV with a BOM, row by row."""
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=True)
    try:
        for chunk in csv_chunks(row_iter):
            text.write(chunk)
    finally:
        text.detach()  # leave ``handle`` open for the caller


def write_xlsx(row_iter, handle) -> None:
    """Write the rows to a binary file as a right-to-left sheet (openpyxl's write-only mode,
    which keeps no rows in memory and writes strings inline)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.sheet_view.rightToLeft = True
    for row in row_iter:
        sheet.append(row)
    workbook.save(handle)


def write_file(fmt: str, row_iter, handle) -> None:
    (write_csv if fmt == "csv" else write_xlsx)(row_iter, handle)


def file_name(entity: str, day) -> str:
    """``people-20250321.csv``-style name, without the extension."""
    return f"{'people' if entity == 'person' else 'organizations'}-{day:%Y%m%d}"


def xlsx_file(row_iter):
    """A temporary XLSX file written row by row."""
    # Handed to FileResponse, which closes it (and the OS deletes it) after sending.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    write_xlsx(row_iter, handle)
    handle.seek(0)
    return handle


def http_response(user, entity: str, params, fmt: str, requested_columns):
    """The download, streamed for CSV; raises ValidationError for a bad format, column or filter."""
    fmt = check_format(fmt)
    columns = choose_columns(entity, requested_columns)
    row_iter = rows(user, entity, params, columns)
    if fmt == "csv":
        response = StreamingHttpResponse(csv_chunks(row_iter), content_type=CONTENT_TYPES[fmt])
    else:
        response = FileResponse(xlsx_file(row_iter), content_type=CONTENT_TYPES[fmt])
    name = file_name(entity, timezone.localdate())
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
