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
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.core.exceptions import ValidationError
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from peyvand.core import jalali
from peyvand.core.phone import display_phone

from .custom_fields import definitions
from .models import Address, Email, Membership, Organization, Person, Phone
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
    # The record → the cell; for a column with ``related``, the record's related values → the cell.
    value: Callable
    # Related values the column shows (a key of ``_RELATED``): read once per chunk of records
    # with one query, and only when a chosen column needs them.
    related: str | None = None


def _join(values) -> str:
    return "، ".join(v for v in values if v)


def _display(model, field: str) -> Callable:
    """``get_<field>_display`` without its per-call cost: the choice names are translated
    once, in the language active when the columns are built (the reader's)."""
    names = {value: str(label) for value, label in model._meta.get_field(field).flatchoices}
    return lambda obj: names.get(getattr(obj, field), getattr(obj, field))


def _common_columns(model) -> dict[str, Column]:
    return {
        "id": Column(gettext_lazy("ID"), lambda o: o.pk),
        "phones": Column(
            gettext_lazy("Phones"), lambda numbers: _join(map(display_phone, numbers)), "phones"
        ),
        "emails": Column(gettext_lazy("E-mails"), _join, "emails"),
        "province": Column(
            gettext_lazy("Province"), lambda places: _join(p for p, _c in places), "addresses"
        ),
        "city": Column(
            gettext_lazy("City"), lambda places: _join(c for _p, c in places), "addresses"
        ),
        "lifecycle_stage": Column(
            gettext_lazy("Lifecycle stage"), _display(model, "lifecycle_stage")
        ),
        "source": Column(gettext_lazy("Source"), _display(model, "source")),
        "owner": Column(gettext_lazy("Owner"), lambda o: str(o.owner)),
        "team": Column(gettext_lazy("Team"), lambda o: str(o.team or "")),
        "tags": Column(gettext_lazy("Tags"), _join, "tags"),
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
        "gender": Column(gettext_lazy("Gender"), _display(Person, "gender")),
        "organizations": Column(gettext_lazy("Organizations"), _join, "memberships"),
        **_common_columns(Person),
    }


def _organization_columns() -> dict[str, Column]:
    return {
        "name": Column(gettext_lazy("Name"), lambda o: o.name),
        "national_id": Column(gettext_lazy("National ID"), lambda o: o.national_id),
        "economic_code": Column(gettext_lazy("Economic code"), lambda o: o.economic_code),
        "industry": Column(gettext_lazy("Industry"), lambda o: o.industry),
        "website": Column(gettext_lazy("Website"), lambda o: o.website),
        **_common_columns(Organization),
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


def _owned_by(model, entity: str, ids):
    """``model``'s rows that belong to the records ``ids``, in their display order."""
    return model.objects.filter(**{f"{entity}_id__in": ids}).order_by("position", "id")


# Related values of one chunk of records, as (record id, value) pairs, one query each.
_RELATED = {
    "phones": lambda entity, ids: _owned_by(Phone, entity, ids).values_list(
        f"{entity}_id", "number"
    ),
    "emails": lambda entity, ids: _owned_by(Email, entity, ids).values_list(
        f"{entity}_id", "address"
    ),
    "addresses": lambda entity, ids: (
        (pk, (province or "", city or ""))
        for pk, province, city in _owned_by(Address, entity, ids).values_list(
            f"{entity}_id", "province__name", "city__name"
        )
    ),
    "tags": lambda entity, ids: (
        _MODELS[entity]
        .tags.through.objects.filter(**{f"{entity}_id__in": ids})
        .order_by("tag__name")
        .values_list(f"{entity}_id", "tag__name")
    ),
    # A trashed organisation is no longer listed on the person.
    "memberships": lambda entity, ids: (
        Membership.objects.filter(person_id__in=ids, organization__deleted_at__isnull=True)
        .order_by("id")
        .values_list("person_id", "organization__name")
    ),
}
_MODELS = {"person": Person, "organization": Organization}


def _related_values(name: str, entity: str, ids) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for pk, value in _RELATED[name](entity, ids):
        grouped[pk].append(value)
    return grouped


def _queryset(user, entity: str, params):
    visible = visible_people if entity == "person" else visible_organizations
    queryset = filter_customers(visible(user), entity, params)
    return queryset.select_related("owner", "team").order_by("name_key", "id")


def rows(user, entity: str, params, columns: dict[str, Column]) -> Iterator[list[str]]:
    """The header, then one neutralised row per visible, filtered record, read in chunks.

    The query is built (and bad filters reported) now; rows are read as they are consumed.
    """
    return _rows(_queryset(user, entity, params), entity, columns)


def _rows(queryset, entity: str, columns: dict[str, Column]):
    """Records are read CHUNK at a time; each chunk's related values come in one query per
    kind (not Django's prefetch, which builds a queryset per record and relation)."""
    chosen = list(columns.values())
    related_names = {column.related for column in chosen if column.related}
    yield [neutralise(column.label) for column in chosen]
    records = queryset.iterator(chunk_size=CHUNK)
    while chunk := list(islice(records, CHUNK)):
        ids = [obj.pk for obj in chunk]
        related = {name: _related_values(name, entity, ids) for name in related_names}
        for obj in chunk:
            yield [
                neutralise(
                    column.value(related[column.related].get(obj.pk, ()))
                    if column.related
                    else column.value(obj)
                )
                for column in chosen
            ]
        # Let this chunk go before the next one is read, so only one is ever held.
        del chunk, ids, related, obj


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
