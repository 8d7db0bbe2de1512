"""Fixtures of the deals area: the default pipeline (from the migration), products,
competitors and deals made through the services."""

import pytest

from peyvand.sales import deals
from peyvand.sales.defaults import ensure_defaults
from peyvand.sales.models import Competitor, LostReason, Pipeline, Product

__all__ = ["competitor", "make_deal", "pipeline", "product", "reason", "stages"]


@pytest.fixture
def pipeline(db):
    """«فروش» with its four stages, as the data migration makes it (made again when a
    transactional test, such as the browser's live server, flushed the tables before)."""
    ensure_defaults()
    return Pipeline.objects.get(name="فروش")


@pytest.fixture
def stages(pipeline):
    return list(deals.active_stages(pipeline))


@pytest.fixture
def reason(pipeline):
    return LostReason.objects.filter(is_active=True).first()


@pytest.fixture
def product(db):
    return Product.objects.create(code="P-1", name="نرم‌افزار حسابداری", price=25_000_000)


@pytest.fixture
def competitor(db):
    return Competitor.objects.create(name="رقیب اول")


@pytest.fixture
def make_deal(db):
    def make(actor, **data):
        data.setdefault("title", "فروش نرم‌افزار")
        return deals.create_deal(actor, data)

    return make
