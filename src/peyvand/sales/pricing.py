"""Exact money arithmetic of quote and order lines, in whole Rials.

Quantities are decimals (2.5 kg), prices and amounts integers, rates basis points
(1000 = 10%). Every product of a quantity or a rate is rounded half up to a whole Rial
once, at the line. A discount on the whole document is shared among the lines in
proportion to their net amounts (largest remainder, so the shares add up to it exactly)
and value-added tax is charged on what remains, line by line, as Iranian invoices do.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

BASIS = 10_000  # basis points in 100%


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount: int, rate_bp: int) -> int:
    """``amount × rate`` rounded half up to a Rial."""
    return _round(Decimal(amount) * rate_bp / BASIS)


@dataclass(frozen=True)
class LineInput:
    quantity: Decimal
    unit_price: int
    discount_bp: int = 0
    discount_amount: int = 0
    tax_rate_bp: int = 0


@dataclass(frozen=True)
class LineAmounts:
    gross: int  # quantity × unit price
    discount: int  # the line's own discount plus its share of the document's
    net: int  # gross − discount: what tax is charged on
    tax: int
    total: int  # net + tax


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineAmounts, ...]
    subtotal: int  # Σ gross
    discount_total: int  # Σ line discounts + the document discount
    tax_total: int
    total: int  # subtotal − discount_total + tax_total


class PricingError(ValueError):
    """Amounts that cannot be priced: ``field`` names the input at fault."""

    def __init__(self, field: str, index: int | None = None):
        super().__init__(field)
        self.field = field
        self.index = index


def line_gross(line: LineInput) -> int:
    return _round(Decimal(line.quantity) * line.unit_price)


def line_discount(line: LineInput, gross: int) -> int:
    """The line's own discount: a percentage of its gross plus a fixed amount."""
    return percent_of(gross, line.discount_bp) + line.discount_amount


def share(amount: int, weights: list[int]) -> list[int]:
    """``amount`` split in proportion to ``weights``; the parts add up to ``amount``."""
    whole = sum(weights)
    if amount == 0 or whole == 0:
        return [0] * len(weights)
    parts = [amount * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % whole), i))
    for i in remainders[: amount - sum(parts)]:
        parts[i] += 1
    return parts


def _check(lines: list[LineInput], document_discount: int) -> None:
    for index, line in enumerate(lines):
        if Decimal(line.quantity) <= 0:
            raise PricingError("quantity", index)
        if line.unit_price < 0:
            raise PricingError("unit_price", index)
        if not 0 <= line.discount_bp <= BASIS:
            raise PricingError("discount_bp", index)
        if line.discount_amount < 0:
            raise PricingError("discount_amount", index)
        if not 0 <= line.tax_rate_bp <= BASIS:
            raise PricingError("tax_rate_bp", index)
    if document_discount < 0:
        raise PricingError("discount")


def price(lines: list[LineInput], document_discount: int = 0) -> Totals:
    """Every line's amounts and the document's totals.

    Raises ``PricingError`` for a negative or out-of-range input, a line discount larger
    than its line, or a document discount larger than what the lines come to.
    """
    _check(lines, document_discount)
    grosses = [line_gross(line) for line in lines]
    own = [line_discount(line, gross) for line, gross in zip(lines, grosses, strict=True)]
    for index, (gross, discount) in enumerate(zip(grosses, own, strict=True)):
        if discount > gross:
            raise PricingError("discount_amount", index)
    nets = [gross - discount for gross, discount in zip(grosses, own, strict=True)]
    if document_discount > sum(nets):
        raise PricingError("discount")
    shares = share(document_discount, nets)
    amounts = []
    for line, gross, discount, part in zip(lines, grosses, own, shares, strict=True):
        net = gross - discount - part
        tax = percent_of(net, line.tax_rate_bp)
        amounts.append(LineAmounts(gross, discount + part, net, tax, net + tax))
    subtotal = sum(grosses)
    discount_total = sum(a.discount for a in amounts)
    tax_total = sum(a.tax for a in amounts)
    return Totals(
        tuple(amounts), subtotal, discount_total, tax_total, subtotal - discount_total + tax_total
    )
