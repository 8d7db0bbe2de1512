import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from peyvand.core.errors import StaleVersionError
from peyvand.core.models import AuditEvent
from peyvand.core.persian import sort_key
from peyvand.customers import selectors, services
from peyvand.customers.models import Person


def test_person_is_normalised_on_write(agent, make_person):
    person = make_person(
        agent,
        first_name="علي",
        last_name="كريمي",
        phones=[{"number": "۰۹۱۲ ۱۲۳ ۴۵۶۷", "kind": "mobile"}, {"number": "+98 912 123 4567"}],
        emails=[{"address": "Ali.Karimi@Example.COM"}],
        national_id="۰۰۱۲۳۴۵۶۷۹",
    )
    assert [p.number for p in person.phones.all()] == ["+989121234567"]
    assert person.emails.get().address == "ali.karimi@example.com"
    assert person.national_id == "0012345679"
    assert person.name_key == sort_key("کریمی علی")
    assert person.team == agent.primary_team


@pytest.mark.parametrize(
    "query", ["علی", "علي كريمي", "۰۹۱۲۱۲۳", "+98912123", "09121234567", "ali.karimi"]
)
def test_search_finds_person_however_typed(agent, make_person, query):
    make_person(
        agent,
        first_name="علی",
        last_name="کریمی",
        phones=["09121234567"],
        emails=["ali.karimi@example.com"],
    )
    found = selectors.global_search(agent, query)["people"]
    assert [p.last_name for p in found] == ["کریمی"]


def test_every_bad_field_is_reported_and_nothing_is_saved(agent):
    with pytest.raises(ValidationError) as caught:
        services.create_person(
            agent,
            {
                "last_name": "x" * 10_000_000,
                "national_id": "1234567890",
                "phones": ["12"],
                "birthday": "1403/13/40",
            },
        )
    assert set(caught.value.message_dict) == {
        "last_name",
        "national_id",
        "phones.0.number",
        "birthday",
    }
    assert Person.all_objects.count() == 0


def test_stale_version_is_refused(agent, make_person):
    person = make_person(agent)
    services.update_person(agent, person, {"first_name": "مریم"}, expected_version=1)
    with pytest.raises(StaleVersionError):
        services.update_person(agent, person, {"first_name": "زهرا"}, expected_version=1)
    person.refresh_from_db()
    assert (person.first_name, person.version) == ("مریم", 2)


def test_changes_are_audited_field_by_field(agent, make_person):
    person = make_person(agent, first_name="مریم")
    services.update_person(agent, person, {"first_name": "زهرا", "phones": ["09351112233"]})
    event = AuditEvent.objects.filter(action="update").get()
    assert event.actor == agent
    assert event.changes["first_name"] == ["مریم", "زهرا"]
    assert event.changes["phones"] == ["", "+989351112233"]


def test_other_team_cannot_see_and_viewer_cannot_write(agent, other_agent, viewer, make_person):
    person = make_person(agent)
    assert not selectors.visible_people(other_agent).filter(pk=person.pk).exists()
    assert selectors.visible_people(viewer).filter(pk=person.pk).exists()
    with pytest.raises(PermissionDenied):
        services.update_person(viewer, person, {"first_name": "x"})


def test_trash_restore_purge(manager, agent, make_person):
    person = make_person(agent)
    services.trash(agent, person)
    assert not Person.objects.filter(pk=person.pk).exists()
    assert list(selectors.trashed(manager, Person)) == [person]
    services.restore(manager, person)
    assert Person.objects.filter(pk=person.pk).exists()
    services.purge(manager, person)
    assert not Person.all_objects.filter(pk=person.pk).exists()
    assert AuditEvent.objects.filter(action="purge").count() == 1


def test_names_sort_in_persian_alphabetical_order(agent, make_person):
    # Unicode order would put پ, ژ and ی after ه, and ه before و.
    for last_name in ["یاسمی", "هادوی", "وحیدی", "ژیان", "پارسا", "ثابتی", "بهرامی", "Adams"]:
        make_person(agent, last_name=last_name)
    items, _cursor = selectors.people_page(agent, {"sort": "name"}, 20)
    assert [p.last_name for p in items] == [
        "Adams",
        "بهرامی",
        "پارسا",
        "ثابتی",
        "ژیان",
        "وحیدی",
        "هادوی",
        "یاسمی",
    ]


def test_name_keys_compare_bytewise_whatever_the_database_locale(db):
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_name IN ('customers_person', 'customers_organization') "
                "AND column_name = 'name_key'"
            )
            assert [row[0] for row in cursor.fetchall()] == ["C", "C"]
        else:
            # SQLite's default BINARY collation already compares bytewise.
            cursor.execute("SELECT 'ی' > 'ه', 'و' < 'ه'")
            assert cursor.fetchone() == (1, 0)
