"""Fixtures of the catalogue and quote tests: products, a quote, a real SMTP server."""

import pytest

from peyvand.sales import catalog, quotes
from peyvand.sales.models import TaxRule

from .smtp import Inbox, free_port, start_smtp, use_smtp


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1; the app's settings point at it."""
    inbox = Inbox()
    controller = start_smtp(settings, inbox)
    yield inbox
    controller.stop()


@pytest.fixture
def closed_smtp_port(settings):
    """Settings pointing at a port nobody listens on: the connection is refused."""
    use_smtp(settings, free_port())
    return settings.EMAIL_PORT


@pytest.fixture
def vat(db):
    return TaxRule.objects.get(is_default=True)


@pytest.fixture
def products(manager, vat):
    """Two products taxed at the default 10% VAT."""
    return {
        "laptop": catalog.create_product(
            manager, {"code": "LP-1", "name": "لپ‌تاپ", "price": 5_000_000, "unit": "piece"}
        ),
        "support": catalog.create_product(
            manager, {"code": "SV-1", "name": "پشتیبانی", "price": 1_000_000, "unit": "month"}
        ),
    }


@pytest.fixture
def make_quote(products):
    def make(actor, **data):
        data.setdefault("lines", [{"product": products["laptop"].pk, "quantity": "2"}])
        return quotes.create_quote(actor, data)

    return make
