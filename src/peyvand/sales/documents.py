"""The lines of quotes and orders: cleaning them, pricing them, storing them.

Shared by ``sales.quotes`` and ``sales.orders`` so a line means the same on both.

A raw line (from a form, the API or another document) is a dict with:

- ``product``: a product id or instance (optional). What the line leaves out is taken from it:
  description (its name), unit, unit price and tax rate (its tax rule).
- ``description`` (required without a product), ``quantity`` (decimals, any digits),
  ``unit`` (``Product.Unit``), ``unit_price`` (whole Rials, or the caller's ``unit``).
- ``discount_percent`` (``9`` or ``12.5``) or ``discount_amount`` (Rials): one of them.
- ``tax_rate_percent``: blank takes the product's tax rule (the default rule for a
  free-text line); ``0`` means exempt.

Use::

    errors = FieldErrors()
    lines = clean_lines(data.get("lines"), errors, unit=unit)
    discount = errors.check("discount", lambda: rials(data.get("discount"), unit=unit), 0)
    errors.raise_if_any()
    totals = price_lines(lines, discount)   # ValidationError keyed lines.<i>.<field>
    ... save the document ...
    replace_lines(document, lines, totals)  # writes the lines and the stored totals

Errors are keyed ``lines.<index>.<field>`` (and ``discount``), in the active language.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from peyvand.core.persian import to_ascii_digits
from peyvand.core.validation import (
    MAX_RIALS,
    FieldErrors,
    as_list,
    choice,
    percent_bp,
    quantity,
    rials,
    text,
)

from . import pricing
from .models import Product, TaxRule

MAX_LINES = 200
LINE_FIELDS = (
    "product",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "discount_percent",
    "discount_amount",
    "tax_rate_percent",
)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _product_id(value) -> int | None:
    raw = to_ascii_digits(str(getattr(value, "pk", value))).strip()
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _products(items: list) -> dict[int, Product]:
    """Every product the lines name, in one query."""
    ids = {
        _product_id(item.get("product"))
        for item in items
        if isinstance(item, dict) and not _blank(item.get("product"))
    }
    ids.discard(None)
    return Product.objects.select_related("tax_rule").in_bulk(ids)


def default_tax_rate_bp() -> int:
    rule = TaxRule.objects.filter(is_default=True).order_by("pk").first()
    return rule.rate_bp if rule else 0


def product_tax_rate_bp(product: Product | None, default_bp: int) -> int:
    return product.tax_rule.rate_bp if product and product.tax_rule_id else default_bp


def _clean_line(item: dict, at: str, errors: FieldErrors, products, unit, default_bp) -> dict:
    product = None
    if not _blank(item.get("product")):
        product = products.get(_product_id(item["product"]))
        if product is None:
            errors.add(f"{at}.product", _("There is no such product."))
    description = errors.check(
        f"{at}.description",
        lambda: text(item.get("description"), max_length=300, required=product is None),
        "",
    )
    qty = errors.check(f"{at}.quantity", lambda: quantity(item.get("quantity")))
    line_unit = errors.check(
        f"{at}.unit",
        lambda: (
            choice(item.get("unit"), Product.Unit.values)
            or (product.unit if product else Product.Unit.PIECE)
        ),
    )
    if _blank(item.get("unit_price")) and product is not None:
        unit_price = product.price
    else:
        unit_price = errors.check(
            f"{at}.unit_price", lambda: rials(item.get("unit_price"), required=True, unit=unit)
        )
    discount_bp = errors.check(
        f"{at}.discount_percent", lambda: percent_bp(item.get("discount_percent")), 0
    )
    discount_amount = errors.check(
        f"{at}.discount_amount", lambda: rials(item.get("discount_amount"), unit=unit) or 0, 0
    )
    if discount_bp and discount_amount:
        errors.add(
            f"{at}.discount_amount",
            _("Give the discount as a percentage or as an amount, not both."),
        )
    if _blank(item.get("tax_rate_percent")):
        tax_rate_bp = product_tax_rate_bp(product, default_bp)
    else:
        tax_rate_bp = errors.check(
            f"{at}.tax_rate_percent", lambda: percent_bp(item["tax_rate_percent"]), 0
        )
    return {
        "product": product,
        "description": description or (product.name[:300] if product else ""),
        "quantity": qty,
        "unit": line_unit,
        "unit_price": unit_price,
        "discount_bp": discount_bp,
        "discount_amount": discount_amount,
        "tax_rate_bp": tax_rate_bp,
    }


def clean_lines(raw, errors: FieldErrors, *, unit: str = "rial", field: str = "lines") -> list:
    """The cleaned lines of a document; each bad value is added to ``errors`` under
    ``<field>.<index>.<name>``. ``unit="toman"`` reads the amounts as Toman (forms)."""
    items = as_list(raw, field, errors, limit=MAX_LINES)
    if raw is not None and not items and field not in errors.errors:
        errors.add(field, _("Add at least one line."))
    products = _products(items)
    default_bp = default_tax_rate_bp()
    lines = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.add(f"{field}.{index}", _("Expected a line object."))
            continue
        lines.append(_clean_line(item, f"{field}.{index}", errors, products, unit, default_bp))
    return lines


def line_input(line) -> pricing.LineInput:
    """The pricing input of a cleaned line (dict) or a stored one (model)."""
    get = line.get if isinstance(line, dict) else lambda name: getattr(line, name)
    return pricing.LineInput(
        quantity=Decimal(get("quantity")),
        unit_price=get("unit_price"),
        discount_bp=get("discount_bp"),
        discount_amount=get("discount_amount"),
        tax_rate_bp=get("tax_rate_bp"),
    )


_PRICING_FIELDS = {
    "quantity": "quantity",
    "unit_price": "unit_price",
    "discount_bp": "discount_percent",
    "discount_amount": "discount_amount",
    "tax_rate_bp": "tax_rate_percent",
}


def _pricing_message(exc: pricing.PricingError) -> str:
    if exc.field == "discount":
        return _("The discount is larger than what the lines come to after their own discounts.")
    if exc.field == "discount_amount":
        return _("The discount is larger than the line's amount.")
    return _("This value is out of range.")


def price_lines(lines: list, discount: int = 0, *, field: str = "lines") -> pricing.Totals:
    """Every amount of the document, exact in Rials (``sales.pricing``).

    Raises a ValidationError keyed like ``clean_lines`` for a line discount larger than
    its line, a document discount larger than the lines, or an amount too large to store.
    """
    errors = FieldErrors()
    for index, line in enumerate(lines):
        if pricing.line_gross(line_input(line)) > MAX_RIALS:
            errors.add(f"{field}.{index}.quantity", _("This line's amount is too large."))
    errors.raise_if_any()
    try:
        return pricing.price([line_input(line) for line in lines], discount)
    except pricing.PricingError as exc:
        key = "discount"
        if exc.index is not None:
            key = f"{field}.{exc.index}.{_PRICING_FIELDS[exc.field]}"
        raise ValidationError({key: [_pricing_message(exc)]}) from None


def store_totals(document, totals: pricing.Totals) -> None:
    """Copy the document totals onto ``document`` (the caller saves it)."""
    document.subtotal = totals.subtotal
    document.discount_total = totals.discount_total
    document.tax_total = totals.tax_total
    document.total = totals.total


def replace_lines(document, lines: list, totals: pricing.Totals) -> None:
    """Replace ``document.lines`` (quote or order, already saved) with ``lines`` and their
    amounts, and store the totals on the document."""
    related = document.lines
    related.all().delete()
    related.model.objects.bulk_create(
        related.model(
            **{related.field.name: document},
            position=position,
            product=line["product"],
            description=line["description"],
            quantity=line["quantity"],
            unit=line["unit"],
            unit_price=line["unit_price"],
            discount_bp=line["discount_bp"],
            discount_amount=line["discount_amount"],
            tax_rate_bp=line["tax_rate_bp"],
            gross=amounts.gross,
            net=amounts.net,
            tax=amounts.tax,
            total=amounts.total,
        )
        for position, (line, amounts) in enumerate(zip(lines, totals.lines, strict=True))
    )
    store_totals(document, totals)
    type(document).all_objects.filter(pk=document.pk).update(
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        tax_total=totals.tax_total,
        total=totals.total,
    )


def stored_lines(document) -> list[dict]:
    """A saved document's lines as cleaned-line dicts: to copy a quote onto an order."""
    return [
        {
            "product": line.product,
            "description": line.description,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
            "discount_bp": line.discount_bp,
            "discount_amount": line.discount_amount,
            "tax_rate_bp": line.tax_rate_bp,
        }
        for line in document.lines.select_related("product")
    ]


def recompute_totals(document) -> pricing.Totals:
    """Price a saved document again from its stored lines and store the totals."""
    lines = stored_lines(document)
    totals = price_lines(lines, document.discount)
    replace_lines(document, lines, totals)
    return totals
