"""Translating the deal and pipeline-settings forms between HTML inputs and the dicts the
services in ``sales.deals`` and ``sales.cadences`` take, and back.

The services validate everything (amounts are read in the display unit, Toman or Rial);
this module only reads POST data, including repeated rows (products, cadence steps), and
fills the edit forms from stored records, as the user would type the values.
"""

from itertools import zip_longest

from peyvand.core import jalali, money

DEAL_FIELDS = (
    "title",
    "pipeline",
    "stage",
    "amount",
    "expected_close",
    "person",
    "organization",
    "source",
    "owner",
    "team",
)
# Repeated rows: (input name prefix, the row's inputs, the input that makes a row non-blank).
PRODUCT_ROW = ("product", ("product", "quantity", "unit_price"), "product")
STEP_ROW = ("step", ("after_days", "subject", "priority"), "subject")


def _rows(post, spec) -> list[dict]:
    """Rows of inputs named ``<prefix>_<input>``; blank rows (added and left empty) are
    dropped so that the indexes in the service's errors match the rows shown again."""
    prefix, names, content = spec
    columns = [post.getlist(f"{prefix}_{name}") for name in names]
    rows = [dict(zip(names, values, strict=True)) for values in zip_longest(*columns, fillvalue="")]
    return [row for row in rows if str(row[content]).strip()]


def rows_with_errors(rows: list[dict], field: str, errors: dict) -> list[dict]:
    """Each row's values and the errors the service reported under ``<field>.<i>.<input>``."""
    return [
        {
            "values": row,
            "errors": {name: errors.get(f"{field}.{i}.{name}", []) for name in row},
        }
        for i, row in enumerate(rows)
    ]


def amount_input(rials: int | None) -> str:
    """An amount as the forms take it: in the display unit (whole Toman or Rials)."""
    if rials is None:
        return ""
    return str(rials // 10 if money.display_unit() == "toman" else rials)


def read_deal(post) -> dict:
    data = {name: post.get(name, "") for name in DEAL_FIELDS}
    data["products"] = _rows(post, PRODUCT_ROW)
    data["competitors"] = post.getlist("competitors")
    return data


def initial_deal(deal) -> dict:
    """The same dict as ``read_deal`` returns, from a stored deal."""
    return {
        "title": deal.title,
        "pipeline": str(deal.pipeline_id),
        "stage": str(deal.stage_id),
        "amount": amount_input(deal.amount),
        "expected_close": jalali.format_date(deal.expected_close),
        "person": str(deal.person_id or ""),
        "organization": str(deal.organization_id or ""),
        "source": deal.source,
        "owner": str(deal.owner_id),
        "team": str(deal.team_id or ""),
        "products": [
            {
                "product": str(line.product_id),
                "quantity": format(line.quantity.normalize(), "f"),
                "unit_price": amount_input(line.unit_price),
            }
            for line in deal.product_lines.all()
        ],
        "competitors": [str(c.pk) for c in deal.competitors.all()],
    }


def read_stage(post) -> dict:
    return {
        "name": post.get("name", ""),
        "probability": post.get("probability", ""),
        "rotting_days": post.get("rotting_days", ""),
        "is_active": bool(post.get("is_active")),
    }


def read_pipeline(post) -> dict:
    return {
        "name": post.get("name", ""),
        "position": post.get("position", ""),
        "is_active": bool(post.get("is_active")),
    }


def read_lost_reason(post) -> dict:
    return read_pipeline(post)  # the same inputs: name, position, active


def read_competitor(post) -> dict:
    return {"name": post.get("name", ""), "website": post.get("website", "")}


def read_cadence(post) -> dict:
    return {
        "name": post.get("name", ""),
        "trigger": post.get("trigger", ""),
        "stage": post.get("stage", ""),
        "is_active": bool(post.get("is_active")),
        "steps": _rows(post, STEP_ROW),
    }


def initial_cadence(cadence) -> dict:
    return {
        "name": cadence.name,
        "trigger": cadence.trigger,
        "stage": str(cadence.stage_id or ""),
        "is_active": cadence.is_active,
        "steps": [
            {"after_days": str(s.after_days), "subject": s.subject, "priority": s.priority}
            for s in cadence.steps.all()
        ],
    }
