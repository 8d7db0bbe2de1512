"""API shapes of quotes (پیش‌فاکتور) and their lines.

Inputs are loose (numbers as text in any digits, Jalali or ISO dates); ``sales.quotes``
and ``sales.documents`` validate them. Money is whole Rials; quantities are decimals
as text (``"2.5"``); percentages as typed (``9``, ``12.5``).
"""

import datetime as dt

from ninja import Schema
from pydantic import Field, field_validator

from peyvand.core.schemas import InputSchema, ListQuery, VersionedIn, iso_or_jalali_date


class QuoteQuery(ListQuery):
    status: str | None = Field(None, description="draft, sent, accepted, rejected or expired")
    deal: str | None = Field(None, description="Deal id")
    person: str | None = Field(None, description="Person id")
    organization: str | None = Field(None, description="Organization id")


class LineIn(InputSchema):
    product: int | str | None = Field(
        None, description="Product id: fills description, unit, price and tax rate left out"
    )
    description: str | None = Field(None, description="Required without a product")
    quantity: str | None = Field(None, description='A decimal, e.g. "2" or "2.5"')
    unit: str | None = Field(None, description="piece, box, kg, meter, liter, hour, month…")
    unit_price: int | str | None = Field(None, description="Whole Rials")
    discount_percent: str | None = Field(None, description="Either this…")
    discount_amount: int | str | None = Field(None, description="…or this, in Rials")
    tax_rate_percent: str | None = Field(
        None, description="Blank: the product's tax rule (the default rule without a product)"
    )


class QuoteIn(InputSchema):
    deal: int | str | None = Field(
        None, description="Deal id: its customer and (without `lines`) its products are used"
    )
    person: int | str | None = Field(None, description="Person id")
    organization: int | str | None = Field(None, description="Organization id")
    lines: list[LineIn] | None = None
    discount: int | str | None = Field(None, description="On the whole quote, in Rials")
    valid_until: str | dt.date | None = Field(
        None, description="ISO or Jalali date; default 14 days after issue"
    )
    notes: str | None = None
    owner: int | str | None = Field(None, description="User id")
    team: int | str | None = Field(None, description="Team id")

    @field_validator("valid_until", mode="after")
    @classmethod
    def _valid_until(cls, value):
        return iso_or_jalali_date(value)


class QuotePatch(QuoteIn, VersionedIn):
    pass


class LineOut(Schema):
    product: int | None = Field(None, alias="product_id")
    description: str
    quantity: str = Field(description="Decimal as text")
    unit: str
    unit_price: int
    discount_percent: float
    discount_amount: int
    tax_rate_percent: float
    gross: int = Field(description="quantity × unit price")
    net: int = Field(description="After the line's discount and its share of the quote's")
    tax: int
    total: int

    @staticmethod
    def resolve_quantity(obj):
        return f"{obj.quantity.normalize():f}"

    @staticmethod
    def resolve_discount_percent(obj):
        return obj.discount_bp / 100

    @staticmethod
    def resolve_tax_rate_percent(obj):
        return obj.tax_rate_bp / 100


class QuoteOut(Schema):
    id: int
    number: str
    status: str = Field(description="draft, sent, accepted, rejected or expired")
    deal: int | None = Field(None, alias="deal_id")
    person: int | None = Field(None, alias="person_id")
    organization: int | None = Field(None, alias="organization_id")
    issued_on: dt.date
    valid_until: dt.date
    lines: list[LineOut]
    discount: int
    subtotal: int
    discount_total: int
    tax_total: int
    total: int
    notes: str
    sent_at: dt.datetime | None
    decided_at: dt.datetime | None
    order: int | None = Field(None, description="The order made when it was accepted")
    owner: int = Field(alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_lines(obj):
        return obj.lines.all()

    @staticmethod
    def resolve_order(obj):
        order = getattr(obj, "order", None)  # the reverse one-to-one raises when absent
        return order.pk if order is not None else None


class QuoteListOut(Schema):
    id: int
    number: str
    status: str
    deal: int | None = Field(None, alias="deal_id")
    person: int | None = Field(None, alias="person_id")
    organization: int | None = Field(None, alias="organization_id")
    issued_on: dt.date
    valid_until: dt.date
    total: int
    owner: int = Field(alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    version: int


class SendIn(InputSchema):
    to: str | None = Field(None, description="Default: the customer's first e-mail")
    message: str | None = Field(None, description="Default: a standard Persian text")


class SendOut(Schema):
    quote: QuoteOut
    outbox_id: int = Field(description="The queued e-mail")
    to: str


class AcceptOut(Schema):
    quote: QuoteOut
    order: int = Field(description="The order made from the quote")
