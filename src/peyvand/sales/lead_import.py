"""Importing leads from a CSV or XLSX file (``peyvand import_leads FILE --user EMAIL``).

The file is read and its columns recognised exactly as the people import does
(``transfers.readers``: UTF-8 or Windows-1256 CSV, XLSX sheets; ``transfers.mapping``:
Persian and English headers, choice labels, province names), plus the columns only a
lead has (UTM parameters, product of interest). Every row then goes through
``leads.create_lead``, so an imported lead is validated, assigned by the assignment rules
and scored like one typed by hand. A bad row is reported with its row number and column;
the good rows are kept, each in its own transaction.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q

from peyvand.core.persian import to_ascii_digits
from peyvand.core.visibility import require_write
from peyvand.customers.models import Source
from peyvand.transfers.mapping import RowConverter, column_for, header_key, suggest
from peyvand.transfers.readers import open_table

from . import catalog, leads

# People-import targets a lead has, and the lead field each fills.
PERSON_TARGETS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "full_name": "full_name",
    "national_id": "national_id",
    "source": "source",
    "description": "message",
    "organization": "company",
    "job_title": "job_title",
    "province": "province",
    "phone_mobile": "phone",
    "phone_work": "phone",
    "phone_home": "phone",
    "phone_other": "phone",
    "email_work": "email",
    "email_personal": "email",
    "email_other": "email",
}
# Columns only a lead has: header texts (Persian or English) → lead field.
LEAD_COLUMNS = {
    "utm_source": ["utm_source", "منبع کمپین", "Campaign Source"],
    "utm_medium": ["utm_medium", "رسانه کمپین", "Campaign Medium"],
    "utm_campaign": ["utm_campaign", "کمپین", "Campaign", "Campaign Name"],
    "utm_term": ["utm_term"],
    "utm_content": ["utm_content"],
    "product_interest": ["محصول", "محصول مورد علاقه", "Product", "Product of Interest"],
    "message": ["پیام", "Message"],
}
_LEAD_INDEX = {header_key(text): target for target, texts in LEAD_COLUMNS.items() for text in texts}
# Error keys of the person shape that the converter reports, by the lead field they fill.
_ERROR_KEYS = {
    "phone": "phones.0",
    "email": "emails.0",
    "company": "organization_name",
    "province": "addresses.0.province",
    "message": "description",
}


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    # (row number, column header, message) of every rejected row's problems.
    problems: list = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({row for row, _column, _message in self.problems})


class LeadRows:
    """Turns a row of strings into the dict ``leads.create_lead`` takes."""

    def __init__(self, headers: list[str]):
        self.headers = headers
        person_mapping = [t if t in PERSON_TARGETS else "" for t in suggest(headers)]
        self.lead_columns = {
            i: _LEAD_INDEX[header_key(h)]
            for i, h in enumerate(headers)
            if not person_mapping[i] and header_key(h) in _LEAD_INDEX
        }
        self.converter = RowConverter(person_mapping, headers)
        self.products = {}

    def values(self, row: list[str]) -> tuple[dict, dict]:
        """(lead values, lead field → column index) of one row."""
        data, columns = self.converter.convert(row)
        values = {}
        for key in ("first_name", "last_name", "national_id", "source", "job_title"):
            if key in data:
                values[key] = data[key]
        if data.get("phones"):
            values["phone"] = data["phones"][0]["number"]
        if data.get("emails"):
            values["email"] = data["emails"][0]["address"]
        if data.get("organization_name"):
            values["company"] = data["organization_name"]
        if data.get("description"):
            values["message"] = data["description"]
        if data.get("addresses") and data["addresses"][0].get("province"):
            values["province"] = data["addresses"][0]["province"]
        spots = {
            key: column_for(columns, _ERROR_KEYS.get(key, key))
            for key in {*values, *PERSON_TARGETS.values()}
        }
        for i, target in self.lead_columns.items():
            if row[i].strip():
                values[target] = self._product(row[i]) if target == "product_interest" else row[i]
                spots[target] = i
        values.setdefault("source", Source.IMPORT)
        return values, spots

    def _product(self, text: str):
        """A product named by its code or its name (its id when nothing else matches)."""
        text = text.strip()
        if text not in self.products:
            found = (
                catalog.active_products()
                .filter(Q(code__iexact=text) | Q(name=text))
                .values_list("pk", flat=True)
                .first()
            )
            self.products[text] = found or to_ascii_digits(text)
        return self.products[text]


def import_leads(actor, path, *, sheet: str | None = None) -> ImportReport:
    """Create a lead from every good row of the file at ``path``; report the bad ones."""
    require_write(actor)
    table = open_table(path, sheet=sheet)
    rows = LeadRows(table.headers)
    report = ImportReport()
    for number, values in table.rows():
        data, spots = rows.values(values)
        try:
            report.created.append(leads.create_lead(actor, data))
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                column = spots.get(key)
                header = table.headers[column] if column is not None else key
                report.problems += [(number, header, message) for message in messages]
    return report
