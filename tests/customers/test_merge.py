"""Merging two people moves every related record to the survivor, and undo puts it all back."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from peyvand.activities import services as activities
from peyvand.activities.models import Activity, Notification
from peyvand.core.errors import StaleVersionError
from peyvand.core.models import AuditEvent
from peyvand.customers import merge, services
from peyvand.customers.models import (
    Address,
    Consent,
    DuplicatePair,
    Membership,
    Merge,
    Person,
    Phone,
    SocialHandle,
)

SHARED_PHONE = "+989121234567"


@pytest.fixture
def world(agent, admin, make_organization):
    """Two records of one woman, each with rows of every kind, some of them shared."""
    services.create_custom_field(
        admin, {"entity": "person", "key": "level", "label": "سطح", "field_type": "number"}
    )
    shared_tag = services.create_tag(agent, name="مشتری ویژه")
    own_tag = services.create_tag(agent, name="نمایشگاه")
    shared_org = make_organization(agent, name="شرکت پارس")
    own_org = make_organization(agent, name="شرکت البرز")
    survivor = services.create_person(
        agent,
        {
            "first_name": "مریم",
            "last_name": "کاظمی",
            "phones": ["09121234567"],
            "emails": ["maryam@example.com"],
            "tags": [shared_tag.pk],
            "organizations": [shared_org.pk],
            "consents": [{"channel": "sms", "granted": False, "source": "تماس"}],
            "custom": {"level": 2},
        },
    )
    other = services.create_person(
        agent,
        {
            "first_name": "مريم",
            "last_name": "کاظمي",
            "national_id": "0012345679",
            "birthday": "1370/05/12",
            "phones": ["+98 912 123 4567", "09351112233"],
            "emails": ["m.kazemi@example.org"],
            "addresses": [{"line": "خیابان ولیعصر، پلاک ۱۲", "postal_code": "1234567890"}],
            "social_handles": [{"network": "telegram", "handle": "maryam_k"}],
            "tags": [shared_tag.pk, own_tag.pk],
            "organizations": [
                {"organization": shared_org.pk, "job_title": "مدیر"},
                {"organization": own_org.pk, "job_title": "مشاور"},
            ],
            "consents": [
                {"channel": "sms", "granted": True, "source": "فرم امضاشده"},
                {"channel": "email", "granted": True, "source": "وب‌سایت"},
            ],
        },
        allow_duplicate=True,
    )
    # The other record's SMS consent is the newer answer.
    Consent.objects.filter(person=other, channel="sms").update(
        recorded_at=timezone.now() + dt.timedelta(minutes=5)
    )
    note = activities.create_activity(
        agent, {"kind": "note", "subject": "یادداشت تماس", "person": other.pk}
    )
    task = activities.create_activity(
        agent,
        {
            "kind": "task",
            "subject": "پیگیری پیش‌فاکتور",
            "person": other.pk,
            "due_at": "1400/01/01 10:00",
        },
    )
    activities.notify_due_followups()
    pair = DuplicatePair.objects.create(
        person_a=survivor, person_b=other, score=0.95, reasons=["name", "phone"]
    )
    return {
        "survivor": survivor,
        "other": other,
        "tags": (shared_tag, own_tag),
        "orgs": (shared_org, own_org),
        "activities": (note, task),
        "pair": pair,
    }


def state(person) -> dict:
    """Everything attached to a person, for before/after comparisons."""
    person = Person.all_objects.get(pk=person.pk)
    return {
        "fields": merge.values(person, merge.field_names(person, person)),
        "deleted": person.deleted_at is not None,
        "phones": sorted(person.phones.values_list("pk", "number")),
        "emails": sorted(person.emails.values_list("pk", "address")),
        "addresses": sorted(person.addresses.values_list("pk", "postal_code")),
        "handles": sorted(person.social_handles.values_list("pk", "handle")),
        "tags": sorted(person.tags.values_list("pk", flat=True)),
        "memberships": sorted(person.memberships.values_list("pk", "organization", "job_title")),
        "consents": sorted(
            person.consents.values_list("pk", "channel", "granted", "source", "recorded_at")
        ),
        "activities": sorted(Activity.all_objects.filter(person=person).values_list("pk")),
    }


def test_merge_moves_every_related_record(agent, world):
    survivor, other = world["survivor"], world["other"]
    shared_tag, own_tag = world["tags"]
    shared_org, own_org = world["orgs"]
    note, task = world["activities"]
    done = merge.merge_people(agent, survivor, other, {"national_id": "other"})
    survivor.refresh_from_db()

    # phones: the new number moves, the one both had stays behind (recorded as skipped)
    assert sorted(survivor.phones.values_list("number", flat=True)) == [
        SHARED_PHONE,
        "+989351112233",
    ]
    assert Phone.objects.get(person=other).number == SHARED_PHONE
    # e-mails, addresses, social handles
    assert set(survivor.emails.values_list("address", flat=True)) == {
        "maryam@example.com",
        "m.kazemi@example.org",
    }
    assert Address.objects.get(postal_code="1234567890").person == survivor
    assert SocialHandle.objects.get(handle="maryam_k").person == survivor
    # tags: the survivor has both, once each
    assert sorted(survivor.tags.values_list("pk", flat=True)) == sorted([shared_tag.pk, own_tag.pk])
    # memberships: the new organisation moves; the shared one keeps the survivor's row
    assert set(survivor.memberships.values_list("organization", flat=True)) == {
        shared_org.pk,
        own_org.pk,
    }
    assert Membership.objects.get(person=survivor, organization=own_org).job_title == "مشاور"
    # consents: the new channel moves; on the shared channel the newer answer wins
    assert survivor.consents.get(channel="email").granted is True
    sms = survivor.consents.get(channel="sms")
    assert (sms.granted, sms.source) == (True, "فرم امضاشده")
    # activities and their notifications
    assert set(Activity.objects.filter(person=survivor)) == {note, task}
    assert Notification.objects.get(activity=task).activity.person == survivor
    # fields: the chosen value, and empty ones filled from the other record
    assert survivor.national_id == "0012345679"
    assert survivor.birthday == dt.date(1991, 8, 3)
    assert survivor.first_name == "مریم"
    assert survivor.custom == {"level": 2}
    # the other record: in the trash, audited, and the pair marked merged
    other = Person.all_objects.get(pk=other.pk)
    assert other.deleted_at is not None
    actions = list(AuditEvent.objects.filter(object_id=other.pk).values_list("action", flat=True))
    assert {"merge", "delete"} <= set(actions)
    event = AuditEvent.objects.filter(object_id=survivor.pk, action="merge").get()
    assert event.changes["merged"][1].startswith("مريم")
    assert "phones" in event.changes
    assert DuplicatePair.objects.get(pk=world["pair"].pk).status == "merged"
    assert {g["model"] for g in done.moved} >= {
        "customers.phone",
        "customers.email",
        "customers.address",
        "customers.socialhandle",
        "customers.person_tags",
        "customers.membership",
        "customers.consent",
        "activities.activity",
    }
    # search finds the survivor by the moved phone and e-mail
    assert "989351112233" in survivor.search_text
    assert "m.kazemi@example.org" in survivor.search_text


def test_undo_restores_everything(agent, world):
    survivor, other = world["survivor"], world["other"]
    before = {"survivor": state(survivor), "other": state(other)}
    done = merge.merge_people(agent, survivor, other, {"national_id": "other"})
    merge.undo_merge(agent, done)
    after = {"survivor": state(survivor), "other": state(other)}
    for who in ("survivor", "other"):
        for relation, value in before[who].items():
            assert after[who][relation] == value, (who, relation)
    done.refresh_from_db()
    assert done.undone_at is not None and done.undone_by == agent
    assert DuplicatePair.objects.get(pk=world["pair"].pk).status == "open"
    restored = Person.objects.get(pk=other.pk)
    assert restored.search_text.count("m.kazemi@example.org") == 1
    survivor_events = AuditEvent.objects.filter(object_id=survivor.pk).values_list(
        "action", flat=True
    )
    assert {"merge", "update"} <= set(survivor_events)
    assert AuditEvent.objects.filter(object_id=other.pk, action="restore").exists()


def test_undo_keeps_a_field_changed_after_the_merge(agent, world):
    survivor, other = world["survivor"], world["other"]
    done = merge.merge_people(agent, survivor, other, {"national_id": "other"})
    services.update_person(agent, survivor, {"description": "بعد از ادغام"})
    merge.undo_merge(agent, done)
    survivor.refresh_from_db()
    assert survivor.description == "بعد از ادغام"
    assert survivor.national_id == ""
    assert survivor.birthday is None


def test_undo_twice_is_refused(agent, world):
    done = merge.merge_people(agent, world["survivor"], world["other"])
    merge.undo_merge(agent, done)
    with pytest.raises(ValidationError):
        merge.undo_merge(agent, done)


def test_stale_versions_are_refused_and_nothing_changes(agent, world):
    survivor, other = world["survivor"], world["other"]
    before = state(other)
    with pytest.raises(StaleVersionError):
        merge.merge_people(
            agent, survivor, other, versions={"survivor": survivor.version, "other": 99}
        )
    assert state(other) == before
    assert not Merge.objects.exists()


@pytest.mark.parametrize(
    "choices",
    [
        {"first_name": "both"},
        {"password": "other"},
        {"first_name": "<script>alert(1)</script>"},
        "=HYPERLINK(1)",
    ],
)
def test_bad_choices_are_refused_and_nothing_changes(agent, world, choices):
    before = state(world["other"])
    with pytest.raises(ValidationError):
        merge.merge_people(agent, world["survivor"], world["other"], choices)
    assert state(world["other"]) == before


def test_merging_a_person_with_itself_is_refused(agent, world):
    with pytest.raises(ValidationError):
        merge.merge_people(agent, world["survivor"], world["survivor"])


def test_another_teams_person_cannot_be_merged(agent, other_agent, world):
    stranger = services.create_person(other_agent, {"last_name": "غریبه"})
    with pytest.raises(ValidationError) as refused:
        merge.merge_people(agent, world["survivor"], stranger)
    assert "غریبه" not in str(refused.value)
    with pytest.raises(Http404):
        merge.merge_people(other_agent, world["survivor"], stranger)
    assert Person.objects.filter(pk=stranger.pk).exists()


def test_viewer_cannot_merge(viewer, world):
    with pytest.raises(PermissionDenied):
        merge.merge_people(viewer, world["survivor"], world["other"])


def test_agent_cannot_merge_away_a_team_mates_record(agent, make_user, team_a, world):
    from peyvand.accounts.models import Role

    mate = make_user(Role.AGENT, [team_a])
    with pytest.raises(PermissionDenied):
        merge.merge_people(mate, world["survivor"], world["other"])
    assert Person.objects.filter(pk=world["other"].pk).exists()


def test_compare_lists_fields_and_linked_counts(agent, world):
    rows = {row["name"]: row for row in merge.compare(world["survivor"], world["other"])}
    assert rows["national_id"]["default"] == "other"  # the survivor's is empty
    assert rows["first_name"]["default"] == "survivor"
    assert rows["first_name"]["differs"]
    assert "custom.level" in rows
    counts = {
        c["model"]: (c["survivor"], c["other"])
        for c in merge.related_counts(world["survivor"], world["other"])
    }
    assert counts["activities.activity"] == (0, 2)
    assert counts["customers.person_tags"] == (1, 2)
    assert counts["customers.phone"] == (1, 2)


def test_merge_screen_merges_and_history_undoes(agent, world, web_as):
    client = web_as(agent)
    survivor, other = world["survivor"], world["other"]
    url = f"/customers/people/{survivor.pk}/merge/{other.pk}/"
    page = client.get(url).content.decode()
    assert 'name="national_id"' in page and 'id="related-counts"' in page
    response = client.post(
        url,
        {
            "first_name": "other",
            "survivor_version": survivor.version,
            "other_version": other.version,
        },
    )
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert survivor.first_name == "مريم"
    detail = client.get(f"/customers/people/{survivor.pk}/").content.decode()
    assert "یادداشت تماس" in detail
    history = client.get("/customers/people/merges/").content.decode()
    done = Merge.objects.get()
    assert f"/customers/people/merges/{done.pk}/undo/" in history
    assert client.post(f"/customers/people/merges/{done.pk}/undo/").status_code == 302
    assert Person.objects.filter(pk=other.pk).exists()


def test_merge_screen_reports_a_stale_version(agent, world, web_as):
    survivor, other = world["survivor"], world["other"]
    response = web_as(agent).post(
        f"/customers/people/{survivor.pk}/merge/{other.pk}/",
        {"survivor_version": "garbage", "other_version": other.version},
    )
    assert response.status_code == 409
    assert 'id="stale-version"' in response.content.decode()
    assert Person.objects.filter(pk=other.pk).exists()


def test_merge_pages_of_another_team_are_404(other_agent, world, web_as):
    client = web_as(other_agent)
    survivor, other = world["survivor"], world["other"]
    assert client.get(f"/customers/people/{survivor.pk}/merge/{other.pk}/").status_code == 404
    done = merge.merge_people(world["survivor"].owner, survivor, other)
    assert client.post(f"/customers/people/merges/{done.pk}/undo/").status_code == 404
    assert "کاظمی" not in client.get("/customers/people/merges/").content.decode()
