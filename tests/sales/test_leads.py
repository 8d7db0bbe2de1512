"""Lead services: normalisation, bad input, assignment rules, the web form, conversion."""

import threading

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from peyvand.accounts.models import Role
from peyvand.core.errors import StaleVersionError
from peyvand.core.models import AuditEvent
from peyvand.customers import services as customers
from peyvand.customers.models import Organization, Person
from peyvand.sales import leads
from peyvand.sales.models import AssignmentRule, Deal, Lead
from tests.sales import leads_fixtures
from tests.sales.leads_fixtures import ISFAHAN, TEHRAN

# The shared lead fixtures, made available to this module's tests.
make_lead = leads_fixtures.make_lead
product = leads_fixtures.product
web_form = leads_fixtures.web_form

XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


# ---- creating and editing ------------------------------------------------------------------


def test_a_lead_is_normalised_searchable_and_audited(agent, team_a):
    lead = leads.create_lead(
        agent,
        {
            "first_name": "علي",
            "last_name": "كريمي",
            "phone": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
            "email": "Ali@Example.COM",
            "national_id": "۰۰۱۲۳۴۵۶۷۹",
            "company": "شركت نمونه",
            "province": str(TEHRAN),
        },
    )
    assert lead.phone == "+989121234567"
    assert lead.email == "ali@example.com"
    assert lead.national_id == "0012345679"
    assert (lead.owner, lead.team) == (agent, team_a)
    assert lead.status == Lead.Status.NEW
    for query in ("علی کریمی", "09121234", "ali@example", "0012345679", "شرکت"):
        assert leads.filter_leads(leads.visible_leads(agent), {"q": query}).get() == lead
    event = AuditEvent.objects.get(object_id=lead.pk, action="create")
    assert event.changes["phone"] == [None, "+989121234567"]


def test_bad_input_names_every_bad_field_and_saves_nothing(agent):
    with pytest.raises(ValidationError) as caught:
        leads.create_lead(
            agent,
            {
                "last_name": "",
                "phone": "12",
                "email": "not-an-email",
                "national_id": "1234567890",
                "province": "999",
                "product_interest": "abc",
                "source": "carrier-pigeon",
                "status": "converted",
                "referrer": "javascript:alert(1)",
                "utm_campaign": "x" * 101,
                "message": "x" * 6000,
            },
        )
    assert set(caught.value.message_dict) == {
        "last_name",
        "phone",
        "email",
        "national_id",
        "province",
        "product_interest",
        "source",
        "status",
        "referrer",
        "utm_campaign",
        "message",
    }
    assert not Lead.all_objects.exists()


def test_wrong_json_types_are_field_errors_not_crashes(agent):
    with pytest.raises(ValidationError) as caught:
        leads.create_lead(agent, {"last_name": ["x"], "company": {"a": 1}})
    assert set(caught.value.message_dict) == {"last_name", "company"}


def test_script_is_stored_as_text(agent):
    lead = leads.create_lead(agent, {"last_name": XSS, "message": XSS})
    assert lead.last_name == XSS


def test_a_viewer_cannot_write_and_an_agent_trashes_only_their_own(
    viewer, agent, make_user, team_a, make_lead
):
    with pytest.raises(PermissionDenied):
        leads.create_lead(viewer, {"last_name": "x"})
    mate = make_user(Role.AGENT, [team_a])
    lead = make_lead(mate)
    with pytest.raises(PermissionDenied):
        leads.trash_lead(agent, lead)
    leads.trash_lead(mate, lead)
    assert not Lead.objects.filter(pk=lead.pk).exists()
    leads.restore_lead(mate, Lead.all_objects.get(pk=lead.pk))
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_a_stale_edit_is_refused(agent, make_lead):
    lead = make_lead(agent)
    leads.update_lead(agent, lead, {"company": "الف"}, expected_version=1)
    with pytest.raises(StaleVersionError):
        leads.update_lead(agent, lead, {"company": "ب"}, expected_version=1)
    lead.refresh_from_db()
    assert (lead.company, lead.version) == ("الف", 2)


def test_an_agent_may_not_give_a_lead_to_another_team(agent, other_agent):
    with pytest.raises(ValidationError) as caught:
        leads.create_lead(agent, {"last_name": "x", "owner": other_agent.pk})
    assert "owner" in caught.value.message_dict


def test_other_teams_never_see_a_lead(agent, other_agent, make_lead):
    lead = make_lead(agent)
    assert not leads.visible_leads(other_agent).filter(pk=lead.pk).exists()
    assert leads.leads_count(other_agent, {}).value == 0


def test_disqualify_needs_a_reason_and_a_converted_lead_stays_converted(agent, make_lead):
    lead = make_lead(agent)
    with pytest.raises(ValidationError) as caught:
        leads.disqualify_lead(agent, lead, "  ")
    assert "reason" in caught.value.message_dict
    leads.disqualify_lead(agent, lead, "بودجه ندارد")
    lead.refresh_from_db()
    assert (lead.status, lead.disqualify_reason) == ("disqualified", "بودجه ندارد")
    # Reopened by an edit, the reason goes.
    leads.update_lead(agent, lead, {"status": "contacted"})
    lead.refresh_from_db()
    assert (lead.status, lead.disqualify_reason) == ("contacted", "")


# ---- assignment rules ----------------------------------------------------------------------


@pytest.fixture
def sellers(make_user, team_b):
    """Three agents of team B, in id order, and a viewer and a manager who never get
    leads by turn."""
    agents = [make_user(Role.AGENT, [team_b]) for _ in range(3)]
    make_user(Role.VIEWER, [team_b])
    make_user(Role.MANAGER, [team_b])
    return agents


def test_round_robin_gives_each_member_a_lead_in_turn(admin, team_b, sellers):
    leads.create_assignment_rule(admin, {"name": "همه", "team": team_b.pk})
    owners = [leads.create_lead(admin, {"last_name": f"س{i}"}).owner for i in range(7)]
    assert owners == [*sellers, *sellers, sellers[0]]
    assert {lead.team for lead in Lead.objects.all()} == {team_b}


def test_round_robin_skips_members_who_left(admin, team_b, sellers):
    leads.create_assignment_rule(admin, {"name": "همه", "team": team_b.pk})
    leads.create_lead(admin, {"last_name": "یک"})
    sellers[1].is_active = False
    sellers[1].save()
    owners = [leads.create_lead(admin, {"last_name": f"س{i}"}).owner for i in range(3)]
    assert owners == [sellers[2], sellers[0], sellers[2]]


def test_the_first_matching_rule_by_position_wins(
    admin, manager, team_a, team_b, sellers, agent, product
):
    leads.create_assignment_rule(
        admin,
        {
            "name": "تهران و وب",
            "position": 1,
            "province": TEHRAN,
            "source": "website",
            "team": team_b.pk,
        },
    )
    leads.create_assignment_rule(
        admin,
        {
            "name": "محصول",
            "position": 2,
            "product": product.pk,
            "method": "user",
            "assignee": agent.pk,
            "team": team_a.pk,
        },
    )
    leads.create_assignment_rule(
        admin, {"name": "خاموش", "position": 0, "team": team_a.pk, "is_active": False}
    )
    both = leads.create_lead(
        admin,
        {
            "last_name": "الف",
            "province": TEHRAN,
            "source": "website",
            "product_interest": product.pk,
        },
    )
    assert both.owner in sellers
    other_province = leads.create_lead(
        admin,
        {
            "last_name": "ب",
            "province": ISFAHAN,
            "source": "website",
            "product_interest": product.pk,
        },
    )
    assert (other_province.owner, other_province.team) == (agent, team_a)
    nothing = leads.create_lead(admin, {"last_name": "ج", "province": TEHRAN})
    assert nothing.owner == admin  # no rule matches: the person who entered it


def test_an_explicit_owner_is_kept(admin, team_b, sellers, agent):
    leads.create_assignment_rule(admin, {"name": "همه", "team": team_b.pk})
    lead = leads.create_lead(admin, {"last_name": "x", "owner": agent.pk})
    assert lead.owner == agent
    assert AssignmentRule.objects.get().last_assigned is None


def test_rule_input_is_checked(manager, team_a, team_b, other_agent):
    with pytest.raises(ValidationError) as caught:
        leads.create_assignment_rule(
            manager,
            {
                "name": "",
                "team": team_b.pk,
                "method": "user",
                "assignee": other_agent.pk,
                "province": "x",
                "position": "-1",
            },
        )
    assert set(caught.value.message_dict) >= {"name", "team", "province", "position"}
    with pytest.raises(ValidationError) as caught:
        leads.create_assignment_rule(
            manager, {"name": "x", "team": team_a.pk, "method": "user", "assignee": other_agent.pk}
        )
    assert "assignee" in caught.value.message_dict


def test_agents_do_not_edit_lead_settings(agent, team_a):
    with pytest.raises(PermissionDenied):
        leads.create_assignment_rule(agent, {"name": "x", "team": team_a.pk})
    with pytest.raises(PermissionDenied):
        leads.create_web_form(agent, {"name": "x", "team": team_a.pk, "default_owner": agent.pk})


@pytest.mark.django_db(transaction=True)
def test_two_leads_at_once_go_to_two_members(admin, team_b, sellers, settings):
    """The rule row is locked while a member is chosen: simultaneous leads never share one."""
    leads.create_assignment_rule(admin, {"name": "همه", "team": team_b.pk})
    if connection.vendor == "sqlite":
        # SQLite runs one writing transaction at a time (BEGIN IMMEDIATE), so two leads
        # cannot interleave; its in-memory test database cannot be shared by threads.
        assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        return
    barrier = threading.Barrier(6)
    errors = []

    def create(i):
        try:
            barrier.wait()
            leads.create_lead(admin, {"last_name": f"هم‌زمان {i}"})
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    owners = sorted(Lead.objects.values_list("owner_id", flat=True))
    assert owners == sorted([s.pk for s in sellers] * 2)


# ---- the web form --------------------------------------------------------------------------


VISITOR = {
    "first_name": "مریم",
    "last_name": "رحیمی",
    "phone": "۰۹۱۲۳۳۳۴۴۵۵",
    "email": "Maryam@Example.ir",
    "company": "شرکت آلفا",
    "message": "قیمت می‌خواهم",
    "utm_source": "google",
    "utm_medium": "cpc",
    "utm_campaign": "بهار",
    "referrer": "https://www.google.com/",
    "landing_page": "https://shop.example.ir/pricing?utm_source=google",
}


def test_a_web_form_lead_keeps_its_attribution(web_form, agent, team_a):
    lead = leads.submit_web_form(web_form, VISITOR, {"client": "1.2.3.4"})
    assert (lead.owner, lead.team, lead.source, lead.web_form) == (
        agent,
        team_a,
        "website",
        web_form,
    )
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("google", "cpc", "بهار")
    assert lead.landing_page == VISITOR["landing_page"]
    assert lead.phone == "+989123334455"
    assert lead.created_by is None


def test_a_web_form_lead_follows_the_assignment_rules(web_form, admin, team_b, sellers):
    leads.create_assignment_rule(admin, {"name": "وب", "source": "website", "team": team_b.pk})
    lead = leads.submit_web_form(web_form, VISITOR, {"client": "1.2.3.4"})
    assert (lead.owner, lead.team) == (sellers[0], team_b)


def test_a_visitor_cannot_set_owner_or_source(web_form, agent, other_agent):
    data = {**VISITOR, "owner": other_agent.pk, "source": "referral", "status": "qualified"}
    lead = leads.submit_web_form(web_form, data, {"client": "1.2.3.4"})
    assert (lead.owner, lead.source, lead.status) == (agent, "website", "new")


def test_the_honeypot_pretends_and_creates_nothing(web_form):
    assert leads.submit_web_form(web_form, {**VISITOR, "honeypot": "http://spam"}, {}) is None
    assert not Lead.all_objects.exists()


def test_a_visitor_needs_a_phone_or_an_email(web_form):
    with pytest.raises(ValidationError) as caught:
        leads.submit_web_form(web_form, {"last_name": "بی‌نشان"}, {"client": "1.2.3.4"})
    assert "phone" in caught.value.message_dict


def test_bad_attribution_is_dropped_not_refused(web_form):
    data = {**VISITOR, "utm_source": "g" * 300, "referrer": "not a url", "landing_page": XSS}
    lead = leads.submit_web_form(web_form, data, {"client": "1.2.3.4"})
    assert (len(lead.utm_source), lead.referrer, lead.landing_page) == (100, "", "")


def test_the_rate_limit_counts_per_client_and_form(web_form, manager, team_a, agent, settings):
    settings.PEYVAND = {**settings.PEYVAND, "WEB_FORM_RATE_LIMIT": (2, 600)}
    other_form = leads.create_web_form(
        manager, {"name": "دوم", "team": team_a.pk, "default_owner": agent.pk}
    )
    for _ in range(2):
        leads.submit_web_form(web_form, VISITOR, {"client": "5.5.5.5"})
    with pytest.raises(leads.TooManySubmissions):
        leads.submit_web_form(web_form, VISITOR, {"client": "5.5.5.5"})
    leads.submit_web_form(web_form, VISITOR, {"client": "6.6.6.6"})
    leads.submit_web_form(other_form, VISITOR, {"client": "5.5.5.5"})
    assert Lead.objects.count() == 4


def test_origins_are_checked_only_when_listed(web_form, manager):
    own = "https://crm.example.ir"
    assert leads.origin_allowed(web_form, "https://anyone.example", own)
    leads.update_web_form(
        manager, web_form, {"allowed_origins": "https://Shop.example.ir/\nhttp://localhost:8000"}
    )
    assert web_form.allowed_origins == ["https://shop.example.ir", "http://localhost:8000"]
    assert leads.origin_allowed(web_form, "https://shop.example.ir", own)
    assert leads.origin_allowed(web_form, own, own)  # the form's own page, in the iframe
    assert not leads.origin_allowed(web_form, "https://evil.example", own)
    assert not leads.origin_allowed(web_form, None, own)
    with pytest.raises(ValidationError) as caught:
        leads.update_web_form(manager, web_form, {"allowed_origins": "shop.example.ir/path"})
    assert "allowed_origins.0" in caught.value.message_dict


def test_a_web_form_owner_must_be_in_its_team(manager, team_a, other_agent):
    with pytest.raises(ValidationError) as caught:
        leads.create_web_form(
            manager, {"name": "x", "team": team_a.pk, "default_owner": other_agent.pk}
        )
    assert "default_owner" in caught.value.message_dict


# ---- conversion ----------------------------------------------------------------------------


def _convertible(agent, **extra):
    data = {
        "first_name": "رضا",
        "last_name": "نوری",
        "phone": "09125556677",
        "email": "reza@example.ir",
        "company": "شرکت بتا",
        "job_title": "مدیر خرید",
        "source": "exhibition",
        "utm_campaign": "نمایشگاه",
        **extra,
    }
    return leads.create_lead(agent, data)


def test_conversion_makes_person_organization_and_deal(agent, product):
    lead = _convertible(agent, product_interest=product.pk, province=TEHRAN)
    person, organization, deal = leads.convert_lead(
        agent, lead, {"deal": {"title": "قرارداد بتا", "expected_close": "1405/03/01"}}
    )
    assert person.phones.get().number == "+989125556677"
    assert person.emails.get().address == "reza@example.ir"
    assert person.source == "exhibition"
    assert person.lifecycle_stage == "opportunity"
    assert person.memberships.get().organization == organization
    assert organization.name == "شرکت بتا"
    assert (deal.title, deal.person, deal.organization, deal.source) == (
        "قرارداد بتا",
        person,
        organization,
        "exhibition",
    )
    assert deal.amount == product.price
    assert deal.product_lines.get().product == product
    assert deal.owner == agent
    lead.refresh_from_db()
    assert lead.status == "converted" and lead.converted_at is not None
    assert (lead.person, lead.organization, lead.deal) == (person, organization, deal)
    event = AuditEvent.objects.filter(object_id=lead.pk, action="update").get()
    assert event.changes["status"] == ["new", "converted"]


def test_conversion_reuses_a_known_person_and_organization(agent, make_person):
    known = make_person(agent, first_name="رضا", last_name="نوری", emails=["REZA@example.ir"])
    org = customers.create_organization(agent, {"name": "شركت  بتا"})
    lead = _convertible(agent, phone="")
    person, organization, deal = leads.convert_lead(agent, lead, {"create_deal": False})
    assert (person, organization, deal) == (known, org, None)
    assert Person.objects.count() == 1 and Organization.objects.count() == 1
    person.refresh_from_db()
    assert person.source == "exhibition"
    assert person.memberships.get().organization == org


def test_a_namesake_with_another_phone_is_not_reused(agent, make_person):
    make_person(agent, first_name="رضا", last_name="نوری", phones=["09351112233"])
    person, _org, _deal = leads.convert_lead(agent, _convertible(agent, email=""), {})
    assert Person.objects.count() == 2
    assert person.phones.get().number == "+989125556677"


def test_another_teams_person_is_never_reused(agent, other_agent, make_person):
    theirs = make_person(other_agent, first_name="رضا", last_name="نوری", phones=["09125556677"])
    person, _org, _deal = leads.convert_lead(agent, _convertible(agent), {})
    assert person != theirs
    assert person.team == agent.primary_team


def test_converting_twice_is_refused(agent):
    lead = _convertible(agent)
    leads.convert_lead(agent, lead, {})
    with pytest.raises(ValidationError) as caught:
        leads.convert_lead(agent, lead, {})
    assert "status" in caught.value.message_dict
    assert Deal.objects.count() == 1


def test_a_bad_deal_changes_nothing(agent):
    lead = _convertible(agent)
    with pytest.raises(ValidationError) as caught:
        leads.convert_lead(agent, lead, {"deal": {"amount": "-5", "pipeline": "999"}})
    assert set(caught.value.message_dict) == {"deal.amount"}
    with pytest.raises(ValidationError) as caught:
        leads.convert_lead(agent, lead, {"deal": {"pipeline": "999"}})
    assert set(caught.value.message_dict) == {"deal.pipeline"}
    assert not Person.objects.exists() and not Organization.objects.exists()
    lead.refresh_from_db()
    assert lead.status == "new"


def test_amounts_typed_in_toman_are_stored_in_rials(agent):
    _person, _org, deal = leads.convert_lead(
        agent, _convertible(agent), {"deal": {"amount": "۱۲٬۵۰۰٬۰۰۰"}}, unit="toman"
    )
    assert deal.amount == 125_000_000


def test_every_field_change_is_versioned_and_audited(agent, make_lead):
    lead = make_lead(agent, utm_medium="cpc")
    leads.update_lead(agent, lead, {"utm_medium": "email", "landing_page": "https://x.ir/a"})
    lead.refresh_from_db()
    assert lead.version == 2
    event = AuditEvent.objects.get(object_id=lead.pk, action="update")
    assert event.changes["utm_medium"] == ["cpc", "email"]
    leads.update_lead(agent, lead, {"utm_medium": "email"})  # no change: no new version
    lead.refresh_from_db()
    assert lead.version == 2
