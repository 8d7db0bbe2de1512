"""`peyvand demo`: realistic, valid, searchable Persian demo data."""

from datetime import datetime

import jdatetime
import pytest
from django.core.management import call_command
from django.utils import timezone

from peyvand.accounts.models import User
from peyvand.activities.models import Activity
from peyvand.core.identifiers import normalize_legal_id, normalize_national_id
from peyvand.core.persian import to_persian_digits
from peyvand.core.phone import normalize_phone
from peyvand.customers import demo
from peyvand.customers.models import Email, Organization, Person, Phone
from peyvand.customers.selectors import global_search, visible_people
from peyvand.customers.services import refresh_keys


@pytest.fixture
def demo_data(db):
    return demo.generate(50, seed=1402)


def test_demo_creates_people_organisations_and_activities(demo_data):
    assert demo_data["people"] == Person.objects.count() == 50
    assert demo_data["organizations"] == Organization.objects.count() == 5
    for person in Person.objects.all():
        assert 3 <= person.activities.count() <= 5
        assert person.phones.exists()
        assert person.last_name and person.first_name


def test_phones_are_valid_iranian_mobiles_stored_as_e164(demo_data):
    numbers = list(Phone.objects.values_list("number", flat=True))
    assert len(numbers) >= 50
    for number in numbers:
        assert number.startswith("+989")
        assert normalize_phone(number) == number


def test_national_ids_and_legal_ids_pass_their_checksums(demo_data):
    person_ids = [p for p in Person.objects.values_list("national_id", flat=True) if p]
    assert len(person_ids) > 20
    for code in person_ids:
        assert normalize_national_id(code) == code
    for code in Organization.objects.values_list("national_id", flat=True):
        assert normalize_legal_id(code) == code


@pytest.mark.parametrize("seed", range(20))
def test_generated_identifiers_are_valid_for_any_seed(seed):
    import random

    rng = random.Random(seed)
    assert normalize_national_id(demo.national_id(rng))
    assert normalize_legal_id(demo.legal_id(rng))
    assert normalize_phone(demo.mobile_as_typed(rng)).startswith("+989")


def test_emails_are_lower_case_on_reserved_example_domains(demo_data):
    for address in Email.objects.values_list("address", flat=True):
        assert address == address.lower()
        assert address.rsplit("@", 1)[1] in demo.EMAIL_DOMAINS


def test_keys_are_exactly_what_a_save_would_write(demo_data):
    for obj in [*Person.objects.all(), *Organization.objects.all()]:
        stored = (obj.name_key, obj.search_text)
        refresh_keys(obj)
        assert stored == (obj.name_key, obj.search_text)


def test_global_search_finds_demo_people_by_phone_in_persian_digits(demo_data, admin):
    phone = Phone.objects.filter(person__isnull=False).first()
    typed = to_persian_digits("0" + phone.number.removeprefix("+98"))

    assert phone.person in global_search(admin, typed)["people"]


def test_global_search_finds_demo_people_by_national_id_and_arabic_letters(demo_data, admin):
    person = Person.objects.exclude(national_id="").first()
    assert person in global_search(admin, to_persian_digits(person.national_id))["people"]

    # Typed on an Arabic keyboard: ي and ك for ی and ک.
    person = next(p for p in Person.objects.all() if "ی" in p.full_name or "ک" in p.full_name)
    arabic = person.full_name.replace("ی", "ي").replace("ک", "ك")
    assert person in global_search(admin, arabic)["people"]


def test_global_search_finds_organisations_by_name(demo_data, admin):
    org = Organization.objects.first()
    assert org in global_search(admin, org.name)["organizations"]


def test_records_are_spread_over_demo_users_and_teams_and_visibility_holds(demo_data):
    assert Person.objects.values("owner").distinct().count() >= 3
    assert Person.objects.values("team").distinct().count() == 2
    agent = User.objects.get(email="demo-agent1@example.com")
    support = User.objects.get(email="demo-agent3@example.com")
    mine = set(visible_people(agent))
    theirs = set(visible_people(support))
    assert mine and theirs and not mine & theirs


def test_activities_span_the_last_two_jalali_years_and_never_the_future(demo_data):
    first_day = jdatetime.date(jdatetime.date.today().year - 1, 1, 1).togregorian()
    start = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
    times = list(Activity.objects.values_list("occurred_at", flat=True))
    assert min(times) >= start
    assert max(times) <= timezone.now()
    kinds = set(Activity.objects.values_list("kind", flat=True))
    assert kinds == set(Activity.Kind.values)


def test_follow_ups_have_a_due_date_and_an_assignee(demo_data):
    tasks = Activity.objects.filter(kind=Activity.Kind.TASK)
    assert tasks.exists()
    for task in tasks:
        assert task.due_at and task.assignee_id == task.owner_id
        # Past follow-ups must not flood the worker's first run with notifications.
        if task.due_at < timezone.now():
            assert task.notified_at is not None


def test_demo_users_cannot_log_in_unless_given_a_password(demo_data):
    assert not User.objects.get(email="demo-agent1@example.com").has_usable_password()


def test_running_demo_twice_adds_more_and_reuses_the_demo_users(db, capsys):
    call_command("demo", people=5, seed=1)
    call_command("demo", people=7, seed=1)

    assert Person.objects.count() == 12
    assert User.objects.filter(email__startswith="demo-").count() == len(demo.DEMO_USERS)
    assert "added 7 people" in capsys.readouterr().out


def test_demo_ids_follow_existing_records_and_later_saves_still_work(agent, make_person):
    before = make_person(agent, first_name="پیش")
    demo.generate(3, seed=5)
    after = make_person(agent, first_name="پس")

    ids = sorted(Person.objects.values_list("id", flat=True))
    assert ids[0] == before.pk and ids[-1] == after.pk
    assert len(set(ids)) == 5
