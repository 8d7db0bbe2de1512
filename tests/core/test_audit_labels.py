from django.utils.translation import override

from peyvand.customers import services
from peyvand.customers.models import LifecycleStage, Person


def test_timeline_names_changed_fields_in_the_users_language(agent, make_person, web_as):
    person = make_person(agent, first_name="مریم")
    services.update_person(agent, person, {"first_name": "زهرا", "phones": ["09121234567"]})
    html = web_as(agent).get(f"/customers/people/{person.pk}/").content.decode()
    with override("fa"):
        first_name = str(Person._meta.get_field("first_name").verbose_name)
        phones = str(Person.audit_labels()["phones"])
    assert first_name != "first name" and phones != "phones"  # the catalogue is in use
    changes = html[html.index('class="list-unstyled mb-0 changes"') :]
    line = next(li for li in changes.split("<li>") if "مریم → زهرا" in li)
    assert first_name in line
    assert phones in changes
    assert "first_name" not in html


def test_changed_choices_read_in_the_readers_language(
    agent, make_user, team_a, make_person, web_as
):
    person = make_person(agent, lifecycle_stage="lead")
    services.update_person(agent, person, {"lifecycle_stage": "customer"})
    english_reader = make_user("agent", [team_a], language="en")
    for reader, language in ((agent, "fa"), (english_reader, "en")):
        html = web_as(reader).get(f"/customers/people/{person.pk}/").content.decode()
        with override(language):
            lead, customer = str(LifecycleStage.LEAD.label), str(LifecycleStage.CUSTOMER.label)
        assert f"{lead} → {customer}" in html
