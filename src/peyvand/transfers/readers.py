"""Reading an uploaded file as a table of text: CSV, XLSX or vCard, streamed row by row.

Every format comes out the same way: cleaned header texts and rows of strings numbered as
the user sees them (the spreadsheet's row number; for vCard, the card's position). Cell
text is returned as written: the reader neither trims nor escapes (formula and markup
payloads are the exporter's and the template's business), and values are cleaned later by
the mapping and the customer services. The one exception is Windows-1256, whose Arabic ي
and ك are read as the Persian ی and ک their writers typed. Nothing here loads a whole
file into memory.
"""

import codecs
import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import vobject
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from .models import Format

MAX_COLUMNS = 200
# A header ends up in ImportIssue.column (255 characters) and in a select's label.
MAX_HEADER_LENGTH = 100
CHUNK_BYTES = 1 << 20
SNIFF_CHARS = 32 * 1024
DELIMITERS = ",;\t|"
# Encodings a CSV or vCard may be read with; detection picks one of the first three.
ENCODINGS = ("utf-8-sig", "utf-8", "cp1256", "utf-16")

# Windows-1256 has no Persian ye (ی): Persian Windows wrote the Arabic ي for it, and often
# the Arabic kaf (ك) for ک. Text read in that encoding gets the letters its writer meant.
CP1256_PERSIAN_LETTERS = str.maketrans({"ي": "ی", "ك": "ک"})

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc) format
_VCARD_START = re.compile(rb"^\s*BEGIN:VCARD", re.IGNORECASE)
# C0 control characters other than tab, line feed, form feed and carriage return: a text
# file (in any of our encodings) has none of them; a binary file is full of them.
_BINARY_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


class ImportFileError(ValueError):
    """The file cannot be read as a table; the message is for the user, in their language."""


@dataclass
class Table:
    format: str  # transfers.models.Format value
    encoding: str  # "utf-8-sig" | "utf-8" | "cp1256" | "utf-16" | "" (xlsx)
    sheet: str  # "" unless xlsx
    headers: list[str]
    path: str = field(default="", repr=False)
    delimiter: str = ","  # csv only
    header_row: int = 1  # the row the headers were read from (the first non-empty one)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, one string per header) for every non-empty data row, streamed."""
        width = len(self.headers)
        for number, values in _READERS[self.format](self):
            if number <= self.header_row or _is_empty(values):
                continue
            if self.encoding == "cp1256":
                values = [value.translate(CP1256_PERSIAN_LETTERS) for value in values]
            if len(values) < width:
                values = values + [""] * (width - len(values))
            yield number, values[:width]


def detect_format(file_name: str, head: bytes) -> str:
    """The format by content first (an XLSX is a zip; a vCard starts with BEGIN:VCARD),
    then by the file name's extension, else CSV. An old .xls is reported as xlsx, so
    that ``open_table`` can tell the user to save it as .xlsx."""
    if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return Format.XLSX
    if _VCARD_START.match(head.removeprefix(codecs.BOM_UTF8)):
        return Format.VCARD
    suffix = Path(file_name or "").suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return Format.XLSX
    if suffix in (".vcf", ".vcard"):
        return Format.VCARD
    return Format.CSV


def sheet_names(path) -> list[str]:
    """The worksheets of an XLSX file, in workbook order."""
    workbook = _load_workbook(path)
    try:
        return [sheet.title for sheet in workbook.worksheets]
    finally:
        workbook.close()


def open_table(path, *, format=None, sheet=None, encoding=None) -> Table:
    """Open ``path`` and read its header row; ImportFileError when it is not a usable table."""
    path = str(path)
    if _only_whitespace(path):
        raise ImportFileError(_("The file is empty."))
    with open(path, "rb") as handle:
        format = format or detect_format(path, handle.read(SNIFF_CHARS))
    if format == Format.XLSX:
        return _open_xlsx(path, sheet)
    if format not in (Format.CSV, Format.VCARD):
        raise ImportFileError(_("This is not a CSV, XLSX or vCard file."))
    encoding = _check_encoding(path, encoding) if encoding else _detect_encoding(path)
    sample = _sample(path, encoding)
    if _BINARY_CONTROLS.search(sample):
        raise ImportFileError(_("This is not a CSV, XLSX or vCard file."))
    if format == Format.VCARD:
        if "begin:vcard" not in sample.casefold():
            raise ImportFileError(_("The file has no vCard in it."))
        return Table(Format.VCARD, encoding, "", list(VCARD_HEADERS), path, header_row=0)
    return _open_csv(path, encoding, sample)


def count_rows(table: Table) -> int:
    """How many data rows ``table.rows()`` will yield (reads the file once more)."""
    return sum(1 for _row in table.rows())


# ---- text files ---------------------------------------------------------------------------


def _only_whitespace(path: str) -> bool:
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            if chunk.strip(b" \t\r\n\x0b\x0c") not in (b"", codecs.BOM_UTF8):
                return False
    return True


def _decodes(path: str, encoding: str) -> bool:
    """Whether the whole file decodes, read in chunks (a million-row file is not loaded)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _detect_encoding(path: str) -> str:
    """UTF-8 with a BOM, UTF-16 with a BOM, strict UTF-8, else Windows-1256."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp1256"):
        if _decodes(path, encoding):
            return encoding
    raise ImportFileError(_("The file is not readable as UTF-8 or Windows-1256 text."))


def _check_encoding(path: str, encoding: str) -> str:
    """An encoding the user chose: known, and the whole file decodes with it."""
    if encoding not in ENCODINGS:
        raise ImportFileError(_("Choose UTF-8 or Windows-1256 as the file's encoding."))
    if not _decodes(path, encoding):
        raise ImportFileError(
            _("The file is not readable as %(encoding)s text.") % {"encoding": encoding}
        )
    return encoding


def _sample(path: str, encoding: str) -> str:
    with open(path, encoding=encoding, newline="") as handle:
        return handle.read(SNIFF_CHARS)


def _sniff_delimiter(sample: str) -> str:
    """csv.Sniffer's answer when the header line has that delimiter; else the most frequent
    candidate in the header line; else a comma (a one-column file)."""
    lines = sample.splitlines()
    first_line = next((line for line in lines if line.strip()), "")
    if len(sample) >= SNIFF_CHARS and len(lines) > 1:
        sample = sample[: sample.rfind(lines[-1])]  # drop the cut-off last line
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed and sniffed in first_line:
        return sniffed
    counts = {candidate: first_line.count(candidate) for candidate in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _csv_records(table: Table) -> Iterator[tuple[int, list[str]]]:
    """Records with their numbers; a quoted cell spanning lines is still one row."""
    with open(table.path, encoding=table.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=table.delimiter)
        number = 0
        while True:
            number += 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                raise ImportFileError(
                    _("Row %(row)d cannot be read: %(reason)s") % {"row": number, "reason": exc}
                ) from None
            yield number, values


def _open_csv(path: str, encoding: str, sample: str) -> Table:
    table = Table(Format.CSV, encoding, "", [], path, _sniff_delimiter(sample))
    for number, values in _csv_records(table):
        if not _is_empty(values):
            if encoding == "cp1256":
                values = [value.translate(CP1256_PERSIAN_LETTERS) for value in values]
            table.headers, table.header_row = clean_headers(values), number
            return table
    raise ImportFileError(_("The file is empty."))


# ---- XLSX -----------------------------------------------------------------------------------


def _load_workbook(path):
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(_OLE_MAGIC):
        raise ImportFileError(
            _("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV.")
        )
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on a damaged or foreign zip
        raise ImportFileError(_("The file is not a readable XLSX workbook.")) from None


def _open_xlsx(path: str, sheet: str | None) -> Table:
    workbook = _load_workbook(path)
    try:
        names = [ws.title for ws in workbook.worksheets]
        if not names:
            raise ImportFileError(_("The workbook has no sheets."))
        if sheet and sheet not in names:
            raise ImportFileError(
                _("The workbook has no sheet named “%(sheet)s”.") % {"sheet": sheet}
            )
        table = Table(Format.XLSX, "", sheet or names[0], [], path)
        for number, values in _sheet_rows(workbook, table.sheet):
            if not _is_empty(values):
                table.headers, table.header_row = clean_headers(values), number
                return table
    finally:
        workbook.close()
    raise ImportFileError(_("The sheet “%(sheet)s” is empty.") % {"sheet": table.sheet})


def _sheet_rows(workbook, sheet: str) -> Iterator[tuple[int, list[str]]]:
    worksheet = workbook[sheet]
    # Some programs write a wrong <dimension>; read-only mode would trust it and cut rows.
    worksheet.reset_dimensions()
    rows = worksheet.iter_rows(values_only=True)
    # openpyxl yields an empty row for each blank one, so counting keeps the numbers true.
    number = 0
    while True:
        number += 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception:  # damaged sheet XML surfaces here, mid-stream
            raise ImportFileError(
                _("Row %(row)d cannot be read: %(reason)s")
                % {"row": number, "reason": _("the sheet is damaged")}
            ) from None
        yield number, [cell_text(value) for value in row]


def _xlsx_rows(table: Table) -> Iterator[tuple[int, list[str]]]:
    workbook = _load_workbook(table.path)
    try:
        yield from _sheet_rows(workbook, table.sheet)
    finally:
        workbook.close()


def cell_text(value) -> str:
    """A spreadsheet cell as the user reads it: dates in ISO form, whole numbers without
    ".0" (a phone stored as a number, 9121234567, stays as it is), booleans as TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


# ---- vCard ----------------------------------------------------------------------------------

# One column per kind of value; several phones of one kind fill that kind's numbered
# columns, then the untyped "TEL" columns, and only then share the last "TEL" cell
# (joined with " ; ", which the phone mapping splits again). E-mails work the same way.
_TEL_COLUMNS = {
    "cell": ["TEL:cell", "TEL:cell 2", "TEL:cell 3"],
    "work": ["TEL:work", "TEL:work 2"],
    "home": ["TEL:home"],
    "other": ["TEL", "TEL 2"],
}
_EMAIL_COLUMNS = {"work": ["EMAIL:work"], "home": ["EMAIL:home"], "other": ["EMAIL", "EMAIL 2"]}
VCARD_HEADERS = [
    "FN",
    "N:family",
    "N:given",
    *(column for columns in _TEL_COLUMNS.values() for column in columns),
    *(column for columns in _EMAIL_COLUMNS.values() for column in columns),
    "ORG",
    "TITLE",
    "ADR:street",
    "ADR:city",
    "ADR:region",
    "ADR:postal",
    "BDAY",
    "NOTE",
    "CATEGORIES",
]
_VCARD_INDEX = {header: i for i, header in enumerate(VCARD_HEADERS)}
MULTI_VALUE_SEPARATOR = " ; "


def _types(line) -> set[str]:
    """TYPE=cell,voice (3.0/4.0) and bare CELL;VOICE parameters (2.1, Android) alike."""
    found = {t.lower() for t in line.singletonparams}
    for value in line.params.get("TYPE", []):
        found.update(part.strip().strip('"').lower() for part in value.split(","))
    return found


def _tel_kind(types: set[str]) -> str:
    if "fax" in types or "pager" in types:
        return "other"
    if types & {"cell", "mobile", "iphone"}:
        return "cell"
    if "work" in types:
        return "work"
    if "home" in types:
        return "home"
    return "other"


def _email_kind(types: set[str]) -> str:
    if "work" in types:
        return "work"
    if "home" in types:
        return "home"
    return "other"


def _text(value) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v).strip() for v in value if str(v).strip())
    return str(value or "").strip()


def _place(values: list[str], columns_by_kind: dict, kind: str, value: str) -> None:
    """Put ``value`` in the first free column of its kind, else of "other", else share."""
    candidates = columns_by_kind[kind]
    if kind != "other":
        candidates = candidates + columns_by_kind["other"]
    for column in candidates:
        index = _VCARD_INDEX[column]
        if not values[index]:
            values[index] = value
            return
    last = _VCARD_INDEX[columns_by_kind["other"][-1]]
    values[last] += MULTI_VALUE_SEPARATOR + value


def _card_values(card) -> list[str]:
    values = [""] * len(VCARD_HEADERS)

    def put(header, value):
        values[_VCARD_INDEX[header]] = _text(value)

    contents = card.contents
    if "fn" in contents:
        put("FN", contents["fn"][0].value)
    if "n" in contents:
        name = contents["n"][0].value
        put("N:family", getattr(name, "family", ""))
        put("N:given", getattr(name, "given", ""))
    for line in contents.get("tel", []):
        number = re.sub(r"^tel:", "", _text(line.value), flags=re.IGNORECASE)
        if number:
            _place(values, _TEL_COLUMNS, _tel_kind(_types(line)), number)
    for line in contents.get("email", []):
        if address := _text(line.value):
            _place(values, _EMAIL_COLUMNS, _email_kind(_types(line)), address)
    if "org" in contents:
        org = contents["org"][0].value
        put("ORG", org[0] if isinstance(org, list | tuple) and org else org)
    for key, header in (("title", "TITLE"), ("bday", "BDAY"), ("note", "NOTE")):
        if key in contents:
            put(header, contents[key][0].value)
    if "categories" in contents:
        categories = contents["categories"][0].value
        if isinstance(categories, list | tuple):
            categories = ", ".join(_text(c) for c in categories if _text(c))
        put("CATEGORIES", categories)
    if "adr" in contents:
        address = contents["adr"][0].value
        for part, header in (
            ("street", "ADR:street"),
            ("city", "ADR:city"),
            ("region", "ADR:region"),
            ("code", "ADR:postal"),
        ):
            put(header, getattr(address, part, ""))
    return values


def _vcard_rows(table: Table) -> Iterator[tuple[int, list[str]]]:
    with open(table.path, encoding=table.encoding, newline="") as handle:
        # allowQP joins quoted-printable soft line breaks (vCard 2.1 / Android exports);
        # ignoreUnreadable skips a malformed line rather than the whole file.
        cards = vobject.readComponents(handle, allowQP=True, ignoreUnreadable=True)
        number = 0
        while True:
            try:
                card = next(cards)
            except StopIteration:
                return
            except (vobject.base.VObjectError, UnicodeDecodeError, ValueError) as exc:
                raise ImportFileError(
                    _("Card %(row)d cannot be read: %(reason)s")
                    % {"row": number + 1, "reason": exc}
                ) from None
            if card.name.upper() != "VCARD":
                continue
            number += 1
            yield number, _card_values(card)


# ---- shared ---------------------------------------------------------------------------------

_READERS = {Format.CSV: _csv_records, Format.XLSX: _xlsx_rows, Format.VCARD: _vcard_rows}
_INVISIBLE_EDGES = "\ufeff\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"


def _is_empty(values: list[str]) -> bool:
    return not any(value.strip() for value in values)


def clean_headers(values: list[str]) -> list[str]:
    """Header texts trimmed and NFC-normalised; a blank header becomes "Column N"; trailing
    blank columns are dropped. More than MAX_COLUMNS columns is an error."""
    headers = [
        unicodedata.normalize("NFC", str(value)).strip().strip(_INVISIBLE_EDGES).strip()
        for value in values
    ]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(
            _("The file has %(count)d columns; at most %(limit)d can be imported.")
            % {"count": len(headers), "limit": MAX_COLUMNS}
        )
    return [
        " ".join(header.split())[:MAX_HEADER_LENGTH] or _("Column %(n)d") % {"n": n}
        for n, header in enumerate(headers, start=1)
    ]
