from datetime import timedelta

from django.utils import timezone

from peyvand.core.pagination import keyset_page
from peyvand.core.records import purge_expired
from peyvand.customers import services
from peyvand.customers.models import Person


def test_trash_older_than_retention_is_purged(agent, make_person, settings):
    old, recent = make_person(agent, last_name="قدیمی"), make_person(agent, last_name="تازه")
    services.trash(agent, old)
    services.trash(agent, recent)
    Person.all_objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert purge_expired() == 1
    assert list(Person.all_objects.values_list("last_name", flat=True)) == ["تازه"]


def test_keyset_pages_cover_everything_once(agent, make_person):
    for i in range(7):
        make_person(agent, last_name=f"نام{i % 3}")
    seen, cursor = [], None
    while True:
        items, cursor = keyset_page(Person.objects.all(), "name_key", False, cursor, 3)
        seen += [p.pk for p in items]
        if cursor is None:
            break
    assert sorted(seen) == sorted(Person.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 7
