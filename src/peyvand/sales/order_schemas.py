"""API shapes of orders, the shop push, payments and returns.

Inputs are loose (amounts and quantities as numbers or text in any digits, dates ISO or
Jalali): the services in ``sales.orders`` validate them once for the UI and the API and
report errors keyed by field path (``lines.0.sku``, ``customer.phone``).
Amounts are whole Rials; quantities and percentages are decimal strings.
"""

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from peyvand.core.schemas import InputSchema, ListQuery, VersionedIn

Number = int | str | None


class OrderQuery(ListQuery):
    status: str | None = Field(None, description="new, confirmed, shipped, delivered, cancelled")
    origin: str | None = Field(None, description="manual, quote or shop")
    owner: str | None = Field(None, description="User id")
    person: str | None = Field(None, description="Person id")
    organization: str | None = Field(None, description="Organization id")
    month: str | None = Field(None, description="Jalali month of the order date, e.g. 1405/02")


# ---- orders -----------------------------------------------------------------------------


class LineIn(InputSchema):
    product: Number = Field(None, description="Product id; fills what the line leaves out")
    description: str | None = None
    quantity: Number = Field(None, description="Decimals allowed: 2.5")
    unit: str | None = Field(None, description="piece, box, kg, meter, liter, hour, ...")
    unit_price: Number = Field(None, description="Rials")
    discount_percent: Number = Field(None, description="12.5 means 12.5%")
    discount_amount: Number = Field(None, description="Rials; or discount_percent, not both")
    tax_rate_percent: Number = Field(
        None, description="Blank: the product's tax rule (the default rule for free text)"
    )


class OrderIn(InputSchema):
    person: Number = Field(None, description="Person id (a person or an organization)")
    organization: Number = Field(None, description="Organization id")
    deal: Number = Field(None, description="Deal id")
    lines: list[LineIn] | None = None
    discount: Number = Field(None, description="On the whole order, Rials, before tax")
    ordered_at: str | dt.datetime | None = Field(
        None, description="ISO 8601 or Jalali 1405/02/10 14:30; default now"
    )
    notes: str | None = None
    owner: Number = Field(None, description="User id")
    team: Number = Field(None, description="Team id")


class OrderPatch(OrderIn, VersionedIn):
    """Notes, owner and status at any time; customer, deal, lines and discount only while
    the order is new."""

    status: str | None = Field(
        None,
        description="Forward only: new → confirmed → shipped → delivered (steps may be "
        "skipped), or cancelled before delivery",
    )


class LineOut(Schema):
    id: int
    position: int
    product: int | None = Field(None, alias="product_id")
    description: str
    quantity: Decimal
    unit: str
    unit_price: int
    discount_percent: Decimal
    discount_amount: int
    tax_rate_percent: Decimal
    gross: int
    net: int = Field(description="After the line's discount and its share of the order's")
    tax: int
    total: int

    @staticmethod
    def resolve_discount_percent(obj):
        return Decimal(obj.discount_bp) / 100

    @staticmethod
    def resolve_tax_rate_percent(obj):
        return Decimal(obj.tax_rate_bp) / 100


class PaymentOut(Schema):
    id: int
    order: int = Field(alias="order_id")
    method: str
    amount: int
    status: str = Field(description="received, pending or bounced")
    received_on: dt.date | None
    due_on: dt.date | None
    reference: str
    bank: str
    created_at: dt.datetime


class ReturnOut(Schema):
    id: int
    order: int = Field(alias="order_id")
    line: int = Field(alias="line_id")
    quantity: Decimal
    refund: int
    reason: str
    at: dt.datetime
    by: int | None = Field(None, alias="by_id")


class OrderOut(Schema):
    id: int
    number: str
    status: str
    origin: str = Field(description="manual, quote or shop")
    shop_order_id: str
    quote: int | None = Field(None, alias="quote_id")
    deal: int | None = Field(None, alias="deal_id")
    person: int | None = Field(None, alias="person_id")
    organization: int | None = Field(None, alias="organization_id")
    customer_name: str
    ordered_at: dt.datetime
    delivered_at: dt.datetime | None
    discount: int
    subtotal: int
    discount_total: int
    tax_total: int
    total: int
    paid_total: int = Field(description="Payments received")
    refunded_total: int = Field(description="Refunds for returned goods")
    balance: int = Field(description="total − refunded − paid; negative: owed to the customer")
    notes: str
    owner: int = Field(alias="owner_id")
    team: int | None = Field(None, alias="team_id")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    lines: list[LineOut]
    payments: list[PaymentOut]
    returns: list[ReturnOut]

    @staticmethod
    def resolve_customer_name(obj):
        return str(obj.timeline_subject() or "")

    @staticmethod
    def resolve_lines(obj):
        return obj.lines.all()

    @staticmethod
    def resolve_payments(obj):
        return obj.payments.all()

    @staticmethod
    def resolve_returns(obj):
        return obj.returns.all()


# ---- the shop push ----------------------------------------------------------------------


class ShopCustomerIn(InputSchema):
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = Field(None, description="Any format; matched as E.164")
    email: str | None = None
    national_id: str | None = Field(None, description="کد ملی, 10 digits")
    address: str | None = None


class ShopLineIn(InputSchema):
    sku: str | None = Field(None, description="The product's code in the catalogue")
    description: str | None = Field(None, description="Required when there is no sku")
    quantity: Number = None
    unit_price: Number = Field(None, description="Rials, before tax")
    discount: Number = Field(None, description="Rials off this line")
    tax_rate_percent: Number = Field(
        None, description="Blank: the product's tax rule (the default rule without a sku)"
    )


class ShopPaymentIn(InputSchema):
    method: str | None = Field(None, description="cash, card or transfer")
    amount: Number = Field(None, description="Rials")
    reference: str | None = Field(None, description="The gateway's tracking number")


class ShopOrderIn(InputSchema):
    shop_order_id: str | None = Field(
        None, description="The shop's own id: pushes are idempotent by it"
    )
    ordered_at: str | dt.datetime | None = Field(
        None, description="ISO 8601 or Jalali; default now"
    )
    customer: ShopCustomerIn | None = None
    lines: list[ShopLineIn] | None = None
    discount: Number = Field(None, description="On the whole order, Rials, before tax")
    shipping: Number = Field(None, description="Rials; added as a tax-free line")
    notes: str | None = None
    payments: list[ShopPaymentIn] | None = Field(None, description="Already received online")


# ---- payments and returns ---------------------------------------------------------------


class PaymentIn(InputSchema):
    method: str | None = Field(None, description="cash, card, transfer, cheque or instalment")
    amount: Number = Field(None, description="Rials")
    status: str | None = Field(
        None, description="received or pending; default pending for cheques and instalments"
    )
    received_on: str | dt.date | None = Field(None, description="ISO or Jalali; default today")
    due_on: str | dt.date | None = Field(None, description="Required for cheques and instalments")
    reference: str | None = Field(None, description="Cheque number (required) or tracking code")
    bank: str | None = Field(None, description="Required for cheques")


class InstalmentPlanIn(InputSchema):
    count: Number = Field(None, description="How many monthly instalments (1-60)")
    first_due_on: str | dt.date | None = Field(
        None, description="Due date of the first; each next one a Jalali month later"
    )


class PaymentPatch(InputSchema):
    status: str | None = Field(None, description="received or bounced (from pending)")
    received_on: str | dt.date | None = Field(None, description="ISO or Jalali; default today")


class ReturnIn(InputSchema):
    line: Number = Field(None, description="Order line id")
    quantity: Number = None
    reason: str | None = None
    refund: Number = Field(
        None, description="Rials; default the quantity's share of the line's net and tax"
    )
