"""Fixtures of the deals area: the default pipeline (from the migration), products,
competitors and deals made through the services."""

import importlib

import pytest

from peyvand.sales import deals
from peyvand.sales.models import Competitor, LostReason, Pipeline, Product, Stage

__all__ = ["competitor", "make_deal", "pipeline", "product", "reason", "stages"]


# What the data migration loads; a transactional test (the browser's live server) starts
# from tables flushed by the one before it, so the fixtures make these rows again.
DEFAULTS = importlib.import_module("peyvand.sales.migrations.0002_defaults")


@pytest.fixture
def pipeline(db):
    """«فروش» with its four stages, as the data migration makes it."""
    pipeline, created = Pipeline.objects.get_or_create(name="فروش")
    if created:
        for position, (name, probability, rotting) in enumerate(DEFAULTS.STAGES):
            Stage.objects.create(
                pipeline=pipeline,
                name=name,
                position=position,
                probability=probability,
                rotting_days=rotting,
            )
    return pipeline


@pytest.fixture
def stages(pipeline):
    return list(deals.active_stages(pipeline))


@pytest.fixture
def reason(db):
    return LostReason.objects.get_or_create(name=DEFAULTS.LOST_REASONS[0])[0]


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
