"""Fixtures of the lead tests: a product, a web form, and leads made through the service."""

import pytest
from iranian_cities.models import Province

from peyvand.sales import catalog, leads

# Tehran and Isfahan in the django-iranian-cities data the migrations load.
TEHRAN = 8
ISFAHAN = 4


def ensure_provinces() -> None:
    """Tehran and Isfahan as the migration loads them: a transactional test (the
    browser's live server) may start from tables the one before it flushed."""
    for pk, name, code in ((TEHRAN, "تهران", 23), (ISFAHAN, "اصفهان", 10)):
        Province.objects.get_or_create(pk=pk, defaults={"name": name, "code": code})


@pytest.fixture
def product(admin):
    return catalog.create_product(
        admin, {"code": "CRM-1", "name": "اشتراک پیوند", "price": 50_000_000}
    )


@pytest.fixture
def web_form(manager, team_a, agent):
    return leads.create_web_form(
        manager, {"name": "فرم سایت", "team": team_a.pk, "default_owner": agent.pk}
    )


@pytest.fixture
def make_lead(db):
    def make(actor, **data):
        data.setdefault("last_name", "احمدی")
        return leads.create_lead(actor, data)

    return make
