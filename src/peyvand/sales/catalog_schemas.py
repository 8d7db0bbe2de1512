"""API shapes of products, product categories and tax rules.

Inputs are loose (numbers as text in any digits); ``sales.catalog`` validates them.
Money is whole Rials; rates are percentages in and out (``rate_percent``: 10, 12.5).
"""

import datetime as dt

from ninja import Schema
from pydantic import Field

from peyvand.core.schemas import InputSchema, ListQuery, VersionedIn


class ProductQuery(ListQuery):
    category: str | None = Field(None, description="Category id")
    active: str | None = Field(None, description="1: active only, 0: inactive only; empty: all")


class ProductIn(InputSchema):
    code: str | None = Field(None, description="Unique, e.g. LP-100")
    name: str | None = None
    category: int | str | None = Field(None, description="Category id")
    unit: str | None = Field(
        None, description="piece, box, kg, meter, liter, hour, month or service"
    )
    price: int | str | None = Field(None, description="Whole Rials")
    tax_rule: int | str | None = Field(None, description="Tax rule id; default: the default rule")
    description: str | None = None
    is_active: bool | None = None


class ProductPatch(ProductIn, VersionedIn):
    pass


class CategoryRef(Schema):
    id: int
    name: str


class ProductOut(Schema):
    id: int
    code: str
    name: str
    category: CategoryRef | None = None
    unit: str
    price: int = Field(description="Whole Rials")
    tax_rule: int | None = Field(None, alias="tax_rule_id")
    tax_rate_percent: float = Field(description="The rate of its tax rule (0 without one)")
    description: str
    image: str | None = Field(None, description="URL of the image")
    is_active: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_tax_rate_percent(obj):
        return obj.tax_rule.rate_bp / 100 if obj.tax_rule_id else 0.0

    @staticmethod
    def resolve_image(obj):
        return obj.image.url if obj.image else None


class CategoryIn(InputSchema):
    name: str | None = None


class CategoryOut(Schema):
    id: int
    name: str


class TaxRuleIn(InputSchema):
    name: str | None = None
    rate_percent: str | None = Field(None, description="10 for 10%; up to two decimals")
    is_default: bool | None = None


class TaxRuleOut(Schema):
    id: int
    name: str
    rate_percent: float
    is_default: bool

    @staticmethod
    def resolve_rate_percent(obj):
        return obj.rate_bp / 100
