"""Translating the customer forms between HTML inputs and the services' input dicts.

The services validate everything; this module only reads POST data (repeated rows with
``getlist``) into the dict ``services.create_person``/``update_person`` take, builds the
same dict from a stored record for the edit form, and attaches each error path such as
``phones.0.number`` to the row and input it belongs to, so the form can be shown again
with what the user typed.
"""

import datetime as dt
from itertools import zip_longest

from peyvand.core import jalali
from peyvand.core.persian import to_ascii_digits
from peyvand.core.phone import display_phone

from .custom_fields import definitions
from .models import CUSTOMER_FIELDS, PERSON_FIELDS, ConsentChannel, CustomFieldDefinition

FT = CustomFieldDefinition.FieldType

# Service field → (input name prefix, the row's inputs, the inputs that make a row non-blank).
# Kind/network selects always carry a value, so they do not count as content.
ROWS = {
    "phones": ("phone", ("number", "kind"), ("number",)),
    "emails": ("email", ("address", "kind"), ("address",)),
    "addresses": (
        "address",
        ("province", "city", "line", "postal_code", "kind"),
        ("province", "city", "line", "postal_code"),
    ),
    "social_handles": ("social", ("network", "handle"), ("handle",)),
    "organizations": ("org", ("organization", "job_title"), ("organization",)),
}
ORGANIZATION_FIELDS = ("name", "national_id", "economic_code", "industry", "size", "website")
COMMON_FIELDS = (*CUSTOMER_FIELDS, "owner", "team")


def _rows(post, field: str) -> list[dict]:
    prefix, names, content = ROWS[field]
    columns = [post.getlist(f"{prefix}_{name}") for name in names]
    rows = []
    for values in zip_longest(*columns, fillvalue=""):
        row = dict(zip(names, values, strict=True))
        # Blank rows (an "add" clicked and left empty) are dropped, so the indexes the
        # service reports errors under are those of the rows shown again.
        if any(str(row[name]).strip() for name in content):
            rows.append(row)
    return rows


def _consents(post, known: set[str]) -> list[dict]:
    """Channels ticked, given a source, or already on record (so unticking revokes)."""
    consents = []
    for channel in ConsentChannel.values:
        granted = bool(post.get(f"consent_{channel}"))
        source = post.get(f"consent_{channel}_source", "")
        if granted or source.strip() or channel in known:
            consents.append({"channel": channel, "granted": granted, "source": source})
    return consents


def _custom(post, entity: str) -> dict:
    values = {}
    for definition in definitions(entity):
        name = f"cf_{definition.key}"
        if definition.field_type == FT.MULTICHOICE:
            values[definition.key] = post.getlist(name)
        else:
            values[definition.key] = post.get(name, "")
    return values


def read_customer(post, entity: str, known_consents: set[str] = frozenset()) -> dict:
    """The services' input dict for a person or organisation from the submitted form."""
    fields = PERSON_FIELDS if entity == "person" else ORGANIZATION_FIELDS
    data = {name: post.get(name, "") for name in (*fields, *COMMON_FIELDS)}
    rows = [f for f in ROWS if entity == "person" or f != "organizations"]
    data.update({field: _rows(post, field) for field in rows})
    data["tags"] = post.getlist("tags")
    data["custom"] = _custom(post, entity)
    if entity == "person":
        data["consents"] = _consents(post, known_consents)
    return data


def custom_display_value(definition, value):
    """A stored custom value as the form input shows it (Jalali dates, ``1``/``0``)."""
    if value is None:
        return [] if definition.field_type == FT.MULTICHOICE else ""
    if definition.field_type == FT.DATE:
        try:
            return jalali.format_date(dt.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if definition.field_type == FT.BOOLEAN:
        return "1" if value else "0"
    if definition.field_type == FT.MULTICHOICE:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return str(value)


def initial_customer(obj, entity: str) -> dict:
    """The same dict as ``read_customer`` returns, filled from a stored record."""
    fields = PERSON_FIELDS if entity == "person" else ORGANIZATION_FIELDS
    data = {name: _as_text(getattr(obj, name, "")) for name in (*fields, *COMMON_FIELDS)}
    data["owner"] = str(obj.owner_id or "")
    data["team"] = str(obj.team_id or "")
    if entity == "person":
        data["birthday"] = jalali.format_date(obj.birthday)
        data["organizations"] = [
            {"organization": str(m.organization_id), "job_title": m.job_title}
            for m in obj.memberships.all()
        ]
        data["consents"] = [
            {"channel": c.channel, "granted": c.granted, "source": c.source}
            for c in obj.consents.all()
        ]
    data.update(obj.contact_lists())
    for phone in data["phones"]:
        phone["number"] = display_phone(phone["number"])
    for address in data["addresses"]:
        address["province"] = _as_text(address["province"])
        address["city"] = _as_text(address["city"])
    data["tags"] = [str(t.pk) for t in obj.tags.all()]
    data["custom"] = {
        d.key: custom_display_value(d, (obj.custom or {}).get(d.key)) for d in definitions(entity)
    }
    return data


def _as_text(value) -> str:
    return "" if value is None else str(value)


def _errors_under(errors: dict, prefix: str) -> list[str]:
    return [m for path, messages in errors.items() if path == prefix for m in messages]


def rows_with_errors(data: dict, field: str, errors: dict) -> list[dict]:
    """Each row of ``data[field]`` with ``errors`` mapping its inputs to their messages."""
    _prefix, names, _content = ROWS[field]
    return [
        {
            **row,
            "errors": {name: errors.get(f"{field}.{i}.{name}", []) for name in names},
            "row_errors": _errors_under(errors, f"{field}.{i}"),
        }
        for i, row in enumerate(data.get(field) or [])
    ]


def consent_rows(data: dict, errors: dict) -> list[dict]:
    given = {c["channel"]: c for c in data.get("consents") or []}
    rows = []
    for channel, label in ConsentChannel.choices:
        current = given.get(channel, {})
        index = list(given).index(channel) if channel in given else None
        rows.append(
            {
                "channel": channel,
                "label": label,
                "granted": bool(current.get("granted")),
                "source": current.get("source", ""),
                "known": channel in given,
                "errors": [
                    m
                    for path, messages in errors.items()
                    if index is not None and path.startswith(f"consents.{index}")
                    for m in messages
                ],
            }
        )
    return rows


def custom_rows(data: dict, entity: str, errors: dict) -> list[dict]:
    values = data.get("custom") or {}
    return [
        {
            "definition": d,
            "name": f"cf_{d.key}",
            "value": values.get(d.key, [] if d.field_type == FT.MULTICHOICE else ""),
            "errors": errors.get(f"custom.{d.key}", []),
        }
        for d in definitions(entity)
    ]


# Larger ids overflow a database integer (SQLite raises rather than matching nothing).
_MAX_ID = 2**63 - 1


def parse_int(raw) -> int | None:
    """A whole number typed in any digits, or None for garbage and out-of-range values."""
    try:
        number = int(to_ascii_digits(str(raw or "")).strip())
    except ValueError:
        return None
    return number if 0 <= number <= _MAX_ID else None


def parse_version(raw) -> int:
    """The version the edit form was opened at; garbage counts as stale (0), never a 500."""
    return parse_int(raw) or 0


def read_definition(post, creating: bool) -> dict:
    """The custom-field definition dict ``services.create/update_custom_field`` take."""
    data = {
        "label": post.get("label", ""),
        "choices": [line.strip() for line in post.get("choices", "").splitlines() if line.strip()],
        "required": bool(post.get("required")),
        "is_active": bool(post.get("is_active")),
        "position": post.get("position", ""),
    }
    if creating:
        data.update(
            entity=post.get("entity", ""),
            key=post.get("key", ""),
            field_type=post.get("field_type", ""),
        )
    return data
