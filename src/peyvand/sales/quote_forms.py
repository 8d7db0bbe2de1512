"""Between HTML forms and the service dicts of the catalogue and quotes.

Services take amounts in Rials or, with ``unit="toman"``, in Toman: forms read amounts
in the unit the interface shows (``money.display_unit()``) and show stored Rials in it.
"""

from decimal import Decimal
from itertools import zip_longest

from peyvand.core import money

from .documents import LINE_FIELDS

# The line inputs of the quote editor (repeated rows: ``line_<field>``).
LINE_INPUTS = tuple(f"line_{field}" for field in LINE_FIELDS)


def input_amount(rials: int | None) -> str:
    """Stored Rials as the form shows them: Toman (÷ 10) or Rials, ASCII digits."""
    if rials is None:
        return ""
    return str(rials // 10 if money.display_unit() == "toman" else rials)


def percent(basis_points: int) -> str:
    """``1250`` → ``12.5``: basis points as the percentage typed in forms."""
    if not basis_points:
        return ""
    return f"{(Decimal(basis_points) / 100).normalize():f}"


def quantity(value) -> str:
    return f"{Decimal(value).normalize():f}" if value not in (None, "") else ""


def read_lines(post) -> list[dict]:
    """The editor's rows as the services' raw lines; rows left wholly blank are dropped,
    so error indexes match the rows shown again."""
    columns = [post.getlist(name) for name in LINE_INPUTS]
    lines = []
    for values in zip_longest(*columns, fillvalue=""):
        row = dict(zip(LINE_FIELDS, values, strict=True))
        if any(str(row[f]).strip() for f in ("product", "description", "unit_price")):
            lines.append(row)
    return lines


def read_quote(post) -> dict:
    data = {name: post.get(name, "") for name in ("deal", "person", "organization", "notes")}
    data.update(
        discount=post.get("discount", ""),
        valid_until=post.get("valid_until", ""),
        lines=read_lines(post),
    )
    for name in ("owner", "team"):
        if post.get(name):
            data[name] = post[name]
    return data


def line_rows(lines: list, errors: dict) -> list[dict]:
    """Rows of the editor: each line's values for the inputs and its errors by field."""
    rows = []
    for index, line in enumerate(lines):
        prefix = f"lines.{index}."
        rows.append(
            {
                "values": line,
                "errors": {
                    path.removeprefix(prefix): messages
                    for path, messages in errors.items()
                    if path.startswith(prefix)
                },
            }
        )
    return rows


def stored_line_values(line: dict) -> dict:
    """A cleaned or stored line as the editor's input values."""
    product = line.get("product")
    return {
        "product": str(product.pk) if product is not None else "",
        "description": line["description"],
        "quantity": quantity(line["quantity"]),
        "unit": line["unit"],
        "unit_price": input_amount(line["unit_price"]),
        "discount_percent": percent(line["discount_bp"]),
        "discount_amount": input_amount(line["discount_amount"]) if line["discount_amount"] else "",
        "tax_rate_percent": percent(line["tax_rate_bp"]) or "0",
    }


def read_product(post) -> dict:
    data = {
        name: post.get(name, "")
        for name in ("code", "name", "category", "unit", "price", "tax_rule", "description")
    }
    data["is_active"] = bool(post.get("is_active"))
    return data


def product_values(product) -> dict:
    return {
        "code": product.code,
        "name": product.name,
        "category": str(product.category_id or ""),
        "unit": product.unit,
        "price": input_amount(product.price),
        "tax_rule": str(product.tax_rule_id or ""),
        "description": product.description,
        "is_active": product.is_active,
    }
