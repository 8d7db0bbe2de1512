"""Duplicates: the scoring rule, the check before a save (service, form), the scan, the queue."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from peyvand.core.errors import PossibleDuplicateError
from peyvand.customers import demo, duplicates, services
from peyvand.customers.demo_duplicates import inject_duplicates
from peyvand.customers.duplicates import Features, full_name, score
from peyvand.customers.models import DuplicatePair, DuplicateScan, DuplicateScanKey, Person


def features(first, last, **kwargs):
    for key in ("phones", "emails", "postal_codes"):
        kwargs[key] = frozenset(kwargs.get(key, ()))
    return Features(pk=None, name=full_name(first, last), **kwargs)


# ---- the rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("علی", "رضایی"), ("رضایی", "علی")),  # swapped
        (("علی", "کریمی"), ("علي", "كريمي")),  # Arabic ي and ك
        (("علی", "کریمی"), ("علی", "کریمى")),  # Arabic alef maqsura
        (("علی", "نیک‌نام"), ("علی", "نیکنام")),  # ZWNJ lost
        (("شبنم", "فتحی"), ("شبمن", "فتحی")),  # two letters swapped
        (("علی", "محمدی"), ("علی", "نحمدی")),  # typo in a word's first letter
    ],
)
def test_name_variants_with_a_shared_phone_are_duplicates(a, b):
    phone = {"phones": {"+989121234567"}}
    value, reasons = score(features(*a, **phone), features(*b, **phone))
    assert value >= duplicates.THRESHOLD
    assert {"name", "phone"} <= set(reasons)


def test_a_shared_name_alone_is_not_a_duplicate():
    value, _ = score(
        features("علی", "محمدی", phones={"+989121234567"}),
        features("علی", "محمدی", phones={"+989357654321"}),
    )
    assert value < duplicates.THRESHOLD


def test_family_members_sharing_a_landline_are_not_duplicates():
    value, reasons = score(
        features("علی", "رضایی", phones={"+982188776655"}),
        features("مریم", "رضایی", phones={"+982188776655"}),
    )
    assert value < duplicates.THRESHOLD
    assert "name" not in reasons


def test_different_national_ids_outweigh_a_shared_name_and_phone():
    phone = {"phones": {"+989121234567"}}
    value, _ = score(
        features("علی", "محمدی", national_id="0012345679", **phone),
        features("علی", "محمدی", national_id="4060105479", **phone),
    )
    assert value < duplicates.THRESHOLD


def test_a_name_alone_never_reaches_even_the_name_pass_threshold():
    # The name pass skips the full score when nothing but the name agrees; this is why.
    value, _ = score(features("علی", "محمدی"), features("علی", "محمدی"))
    assert value < duplicates.NAME_PASS_THRESHOLD


def test_a_mistyped_phone_and_the_same_name_are_a_duplicate():
    value, reasons = score(
        features("علی", "محمدی", phones={"+989121234567"}),
        features("علی", "محمدی", phones={"+989121234667"}),
    )
    assert value >= duplicates.THRESHOLD
    assert "similar_phone" in reasons


# ---- the check before a save ------------------------------------------------------------


def test_create_with_a_known_phone_in_another_format_is_refused_with_candidates(agent):
    original = services.create_person(
        agent, {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    )
    before = Person.objects.count()
    with pytest.raises(PossibleDuplicateError) as refused:
        services.create_person(
            agent, {"first_name": "علي", "last_name": "كريمي", "phones": ["+98 912 123 4567"]}
        )
    assert Person.objects.count() == before
    (candidate,) = refused.value.candidates
    assert candidate["id"] == original.pk
    assert candidate["name"] == "علی کریمی"
    assert candidate["phones"] == ["+989121234567"]
    assert candidate["score"] >= duplicates.THRESHOLD
    assert "phone" in candidate["reasons"]


def test_allow_duplicate_saves_anyway(agent):
    data = {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    services.create_person(agent, data)
    services.create_person(agent, data, allow_duplicate=True)
    assert Person.objects.filter(last_name="کریمی").count() == 2


def test_persian_digits_and_email_case_still_match(agent):
    services.create_person(
        agent, {"last_name": "رضایی", "first_name": "مریم", "emails": ["maryam@example.com"]}
    )
    with pytest.raises(PossibleDuplicateError):
        services.create_person(
            agent, {"last_name": "رضایی", "first_name": "مریم", "emails": ["MARYAM@Example.com"]}
        )
    services.create_person(
        agent,
        {"last_name": "احمدی", "first_name": "سارا", "national_id": "0012345679"},
    )
    with pytest.raises(PossibleDuplicateError):
        services.create_person(
            agent, {"last_name": "احمدي", "first_name": "سارا", "national_id": "۰۰۱۲۳۴۵۶۷۹"}
        )


def test_another_teams_match_is_never_shown(agent, other_agent):
    services.create_person(
        other_agent, {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    )
    # The same person in team A: nothing about team B's record reaches the agent.
    created = services.create_person(
        agent, {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    )
    assert created.pk
    assert duplicates.likely_duplicates(agent, created) == []


def test_editing_other_fields_of_a_known_duplicate_is_not_checked_again(agent):
    data = {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    services.create_person(agent, data)
    twin = services.create_person(agent, data, allow_duplicate=True)
    services.update_person(agent, twin, {"description": "مشتری قدیمی"})
    services.update_person(agent, twin, {"last_name": "کريمی"})  # the same name, normalised
    with pytest.raises(PossibleDuplicateError):
        services.update_person(agent, twin, {"emails": ["ali@example.com"]})


def test_a_dismissed_pair_stays_quiet_on_edit(agent):
    data = {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    first = services.create_person(agent, data)
    twin = services.create_person(agent, data, allow_duplicate=True)
    pair = DuplicatePair.objects.create(person_a=first, person_b=twin, score=0.9, reasons=["phone"])
    duplicates.dismiss_pair(agent, pair)
    services.update_person(agent, twin, {"first_name": "علي"})


def test_stale_edit_reports_the_conflict_before_duplicates(agent):
    from peyvand.core.errors import StaleVersionError

    data = {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    services.create_person(agent, data)
    twin = services.create_person(agent, {"last_name": "دیگری"})
    with pytest.raises(StaleVersionError):
        services.update_person(agent, twin, data, expected_version=twin.version + 5)


# ---- the form ---------------------------------------------------------------------------


def test_form_shows_likely_duplicates_and_save_anyway_works(agent, web_as):
    original = services.create_person(
        agent, {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    )
    client = web_as(agent)
    post = {
        "first_name": "علي",
        "last_name": "كريمي",
        "phone_number": "۰۹۱۲۱۲۳۴۵۶۷",
        "phone_kind": "mobile",
        "lifecycle_stage": "lead",
    }
    response = client.post("/customers/people/new/", post)
    assert response.status_code == 409
    page = response.content.decode()
    assert 'id="likely-duplicates"' in page
    assert f"/customers/people/{original.pk}/" in page
    assert "علی کریمی" in page
    assert 'name="allow_duplicate"' in page
    assert 'value="علي"' in page  # what the user typed is kept
    assert Person.objects.count() == 1

    response = client.post("/customers/people/new/", {**post, "allow_duplicate": "1"})
    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_form_never_lists_another_teams_record(agent, other_agent, web_as):
    hidden = services.create_person(
        other_agent, {"first_name": "علی", "last_name": "پنهان", "phones": ["09121234567"]}
    )
    response = web_as(agent).post(
        "/customers/people/new/",
        {"first_name": "علی", "last_name": "پنهان", "phone_number": "09121234567"},
    )
    assert response.status_code == 302
    assert f"/customers/people/{hidden.pk}/" not in response.content.decode()


def test_candidate_names_are_escaped(agent, web_as):
    services.create_person(
        agent,
        {"first_name": "<script>alert(1)</script>", "last_name": "x", "phones": ["09121234567"]},
    )
    response = web_as(agent).post(
        "/customers/people/new/",
        {
            "first_name": "<script>alert(1)</script>",
            "last_name": "x",
            "phone_number": "09121234567",
        },
    )
    assert response.status_code == 409
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "&lt;script&gt;" in response.content.decode()


# ---- the scan ---------------------------------------------------------------------------


@pytest.fixture
def planted(db):
    """3,000 demo people and 300 planted duplicates with a known answer."""
    demo.generate(3000, seed=1403)
    return {tuple(sorted(pair)) for pair in inject_duplicates(300, seed=1403)}


def test_scan_finds_planted_duplicates_with_high_precision_and_recall(planted):
    scan = duplicates.run_scan()
    found = set(
        DuplicatePair.objects.filter(status="open").values_list("person_a_id", "person_b_id")
    )
    hits = len(found & planted)
    precision, recall = hits / len(found), hits / len(planted)
    assert precision >= 0.95, (precision, recall, scan.stats)
    assert recall >= 0.90, (precision, recall, scan.stats)
    assert scan.status == DuplicateScan.Status.DONE
    assert scan.stats["people"] == 3300
    assert scan.stats["pairs_found"] == len(found)
    assert not DuplicateScanKey.objects.exists(), "the scratch rows are cleaned up"


def test_rescan_keeps_dismissed_pairs_and_drops_stale_ones(agent):
    data = {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    a = services.create_person(agent, data)
    b = services.create_person(agent, data, allow_duplicate=True)
    data2 = {"first_name": "سارا", "last_name": "احمدی", "emails": ["sara@example.com"]}
    c = services.create_person(agent, data2)
    d = services.create_person(agent, data2, allow_duplicate=True)
    duplicates.run_scan()
    assert DuplicatePair.objects.filter(status="open").count() == 2
    duplicates.dismiss_pair(agent, DuplicatePair.objects.get(person_a=a, person_b=b))
    services.trash(agent, d)
    duplicates.run_scan()
    assert DuplicatePair.objects.get(person_a=a, person_b=b).status == "dismissed"
    assert not DuplicatePair.objects.filter(person_a=c).exists(), "d is in the trash"


def test_a_block_shared_by_too_many_people_is_skipped(agent, monkeypatch):
    monkeypatch.setattr(duplicates, "BLOCK_LIMIT", 3)
    # A switchboard: four colleagues, one number.
    for first, last in (("علی", "رضایی"), ("مریم", "کاظمی"), ("بهرام", "صادقی"), ("سارا", "نوری")):
        services.create_person(
            agent, {"first_name": first, "last_name": last, "phones": ["02188776655"]}
        )
    scan = duplicates.run_scan()
    assert scan.stats["oversized_blocks"] == 1
    assert scan.stats["candidate_pairs"] == 0


def test_scan_command_prints_its_figures(agent, capsys):
    data = {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    services.create_person(agent, data)
    services.create_person(agent, data, allow_duplicate=True)
    call_command("scan_duplicates")
    figures = json.loads(capsys.readouterr().out)
    assert figures["pairs_found"] == 1
    assert figures["people"] == 2


def test_only_managers_and_admins_start_a_scan(agent, manager, django_capture_on_commit_callbacks):
    with pytest.raises(PermissionDenied):
        duplicates.request_scan(agent)
    with django_capture_on_commit_callbacks(execute=True):
        scan = duplicates.request_scan(manager)
    scan.refresh_from_db()
    assert scan.status == DuplicateScan.Status.DONE  # Huey runs tasks at once in tests
    assert scan.requested_by == manager


def test_a_running_scan_is_not_started_twice(manager):
    running = DuplicateScan.objects.create(status=DuplicateScan.Status.RUNNING)
    assert duplicates.request_scan(manager) == running


# ---- the queue --------------------------------------------------------------------------


def test_queue_shows_pairs_of_visible_people_only(agent, other_agent, manager, web_as):
    data = {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    services.create_person(agent, data)
    services.create_person(agent, data, allow_duplicate=True)
    hidden = {"first_name": "بهرام", "last_name": "پنهانی", "phones": ["09351112233"]}
    services.create_person(other_agent, hidden)
    services.create_person(other_agent, hidden, allow_duplicate=True)
    duplicates.run_scan()
    assert DuplicatePair.objects.count() == 2
    page = web_as(agent).get("/customers/people/duplicates/").content.decode()
    assert "کریمی" in page and "پنهانی" not in page
    assert 'id="scan-now"' not in page  # agents do not start scans
    manager_page = web_as(manager).get("/customers/people/duplicates/").content.decode()
    assert 'id="scan-now"' in manager_page
    hidden_pair = DuplicatePair.objects.get(person_a__last_name="پنهانی")
    response = web_as(agent).post(f"/customers/people/duplicates/{hidden_pair.pk}/dismiss/")
    assert response.status_code == 404
    assert DuplicatePair.objects.get(pk=hidden_pair.pk).status == "open"


def test_queue_is_ordered_by_score_and_dismiss_removes_a_pair(agent, web_as):
    strong = {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    strong.update(emails=["ali@example.com"], national_id="0012345679")
    weak = {"first_name": "سارا", "last_name": "احمدی", "phones": ["09351234567"]}
    for data in (strong, weak):
        services.create_person(agent, data)
        services.create_person(agent, data, allow_duplicate=True)
    duplicates.run_scan()
    page = web_as(agent).get("/customers/people/duplicates/").content.decode()
    assert page.index("کریمی") < page.index("احمدی")
    pair = DuplicatePair.objects.get(person_a__last_name="احمدی")
    web_as(agent).post(f"/customers/people/duplicates/{pair.pk}/dismiss/")
    page = web_as(agent).get("/customers/people/duplicates/").content.decode()
    assert "احمدی" not in page


def test_viewer_cannot_dismiss(viewer, agent, web_as):
    data = {"first_name": "علی", "last_name": "کریمی", "phones": ["09121234567"]}
    a = services.create_person(agent, data)
    b = services.create_person(agent, data, allow_duplicate=True)
    pair = DuplicatePair.objects.create(person_a=a, person_b=b, score=0.9, reasons=["phone"])
    web_as(viewer).post(f"/customers/people/duplicates/{pair.pk}/dismiss/")
    assert DuplicatePair.objects.get(pk=pair.pk).status == "open"
