"""Acceptance 3: tax, discount and total arithmetic is exact in integer Rials.

Every property is checked against an independent computation in ``fractions.Fraction``
with half-up rounding, over generated documents (hypothesis).
"""

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.sales.pricing import LineInput, PricingError, price

BASIS = 10_000


def half_up(value: Fraction) -> int:
    """Round a non-negative exact value to the nearest Rial, halves up."""
    return math.floor(value + Fraction(1, 2))


def reference(lines: list[LineInput], document_discount: int) -> dict:
    """The same document priced with exact fractions, written without ``sales.pricing``."""
    grosses = [half_up(Fraction(line.quantity) * line.unit_price) for line in lines]
    own = [
        half_up(Fraction(gross * line.discount_bp, BASIS)) + line.discount_amount
        for line, gross in zip(lines, grosses, strict=True)
    ]
    nets = [gross - discount for gross, discount in zip(grosses, own, strict=True)]
    whole = sum(nets)
    exact = [Fraction(document_discount * net, whole) if whole else Fraction(0) for net in nets]
    shares = [math.floor(part) for part in exact]
    # Largest remainder first; ties go to the earlier line.
    order = sorted(range(len(lines)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: document_discount - sum(shares)] if whole else []:
        shares[i] += 1
    taxed = [net - part for net, part in zip(nets, shares, strict=True)]
    taxes = [
        half_up(Fraction(amount * line.tax_rate_bp, BASIS))
        for line, amount in zip(lines, taxed, strict=True)
    ]
    return {
        "gross": grosses,
        "net": taxed,
        "tax": taxes,
        "discount": [a + b for a, b in zip(own, shares, strict=True)],
        "total": [n + t for n, t in zip(taxed, taxes, strict=True)],
    }


quantities = st.decimals(
    min_value=Decimal("0.001"), max_value=Decimal("100000"), places=3, allow_nan=False
)
prices = st.integers(min_value=0, max_value=10**11)
rates = st.one_of(st.sampled_from([0, 900, 1000]), st.integers(min_value=0, max_value=BASIS))


@st.composite
def lines(draw):
    quantity = draw(quantities)
    unit_price = draw(prices)
    gross = half_up(Fraction(quantity) * unit_price)
    if draw(st.booleans()):
        discount_bp, discount_amount = draw(st.integers(0, BASIS)), 0
    else:
        discount_bp, discount_amount = 0, draw(st.integers(0, gross))
    return LineInput(quantity, unit_price, discount_bp, discount_amount, draw(rates))


@st.composite
def documents(draw):
    items = draw(st.lists(lines(), min_size=1, max_size=8))
    nets = reference(items, 0)["net"]
    return items, draw(st.integers(0, sum(nets)))


@settings(max_examples=300, deadline=None)
@given(documents())
def test_matches_the_exact_fraction_computation(document):
    items, discount = document
    totals = price(items, discount)
    expected = reference(items, discount)
    for field in ("gross", "net", "tax", "discount", "total"):
        assert [getattr(line, field) for line in totals.lines] == expected[field], field


@settings(max_examples=300, deadline=None)
@given(documents())
def test_totals_add_up(document):
    items, discount = document
    totals = price(items, discount)
    assert totals.total == totals.subtotal - totals.discount_total + totals.tax_total
    assert totals.total == sum(line.total for line in totals.lines)
    assert totals.subtotal == sum(line.gross for line in totals.lines)
    assert totals.tax_total == sum(line.tax for line in totals.lines)
    assert totals.discount_total == sum(line.discount for line in totals.lines)
    for line in totals.lines:
        assert line.net == line.gross - line.discount and line.total == line.net + line.tax


@settings(max_examples=300, deadline=None)
@given(documents())
def test_the_document_discount_is_shared_exactly(document):
    items, discount = document
    with_it, without = price(items, discount), price(items, 0)
    shares = [a.discount - b.discount for a, b in zip(with_it.lines, without.lines, strict=True)]
    assert sum(shares) == discount
    assert all(share >= 0 for share in shares)
    # Each share is within one Rial of the line's exact proportion.
    whole = sum(line.net for line in without.lines)
    for share, line in zip(shares, without.lines, strict=True):
        assert abs(share - Fraction(discount * line.net, whole or 1)) < 1


@settings(max_examples=300, deadline=None)
@given(documents())
def test_tax_is_never_charged_on_a_discounted_away_amount(document):
    items, discount = document
    for item, line in zip(items, price(items, discount).lines, strict=True):
        assert 0 <= line.net <= line.gross
        assert line.tax == half_up(Fraction(line.net * item.tax_rate_bp, BASIS))
        assert line.tax <= line.net
        if line.net == 0:
            assert line.tax == 0


@settings(max_examples=300, deadline=None)
@given(quantities, prices)
def test_quantity_times_price_never_loses_a_rial(quantity, unit_price):
    gross = price([LineInput(quantity, unit_price)]).lines[0].gross
    assert abs(gross - Fraction(quantity) * unit_price) <= Fraction(1, 2)


def test_a_known_invoice():
    # 3 × 1,250,000 at 9% VAT, 2.5 kg × 80,000 with 10% off, and 50,000 off the whole:
    # shared 3,750,000 : 180,000 → 47,709.92 + 2,290.08 → 47,710 + 2,290.
    totals = price(
        [
            LineInput(Decimal(3), 1_250_000, tax_rate_bp=900),
            LineInput(Decimal("2.5"), 80_000, discount_bp=1000, tax_rate_bp=900),
        ],
        50_000,
    )
    assert [line.net for line in totals.lines] == [3_702_290, 177_710]
    assert [line.tax for line in totals.lines] == [333_206, 15_994]
    assert (totals.subtotal, totals.discount_total, totals.tax_total, totals.total) == (
        3_950_000,
        70_000,
        349_200,
        4_229_200,
    )


@pytest.mark.parametrize(
    ("items", "discount", "field", "index"),
    [
        ([LineInput(Decimal(0), 100)], 0, "quantity", 0),
        ([LineInput(Decimal(1), 1), LineInput(Decimal("-1"), 100)], 0, "quantity", 1),
        ([LineInput(Decimal(1), -1)], 0, "unit_price", 0),
        ([LineInput(Decimal(1), 100, discount_bp=10_001)], 0, "discount_bp", 0),
        ([LineInput(Decimal(1), 100, discount_bp=-1)], 0, "discount_bp", 0),
        ([LineInput(Decimal(1), 100, discount_amount=-1)], 0, "discount_amount", 0),
        ([LineInput(Decimal(1), 100, discount_amount=101)], 0, "discount_amount", 0),
        (
            [LineInput(Decimal(1), 100, discount_bp=5000, discount_amount=51)],
            0,
            "discount_amount",
            0,
        ),
        ([LineInput(Decimal(1), 100, tax_rate_bp=10_001)], 0, "tax_rate_bp", 0),
        ([LineInput(Decimal(1), 100)], -1, "discount", None),
        ([LineInput(Decimal(1), 100, discount_amount=40)], 61, "discount", None),
    ],
)
def test_bad_inputs_name_their_field(items, discount, field, index):
    with pytest.raises(PricingError) as caught:
        price(items, discount)
    assert (caught.value.field, caught.value.index) == (field, index)
