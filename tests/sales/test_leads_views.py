"""Lead pages: list, form, lead page, conversion, the settings pages, and the public web
form with its spam defences."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext, override

from peyvand.core.errors import StaleVersionError
from peyvand.core.templatetags.persian import fa_digits
from peyvand.customers.models import Person
from peyvand.sales import leads, scoring
from peyvand.sales.models import AssignmentRule, Lead, ScoringRule, WebForm
from tests.sales import leads_fixtures
from tests.sales.test_scoring import synthetic_history

make_lead = leads_fixtures.make_lead
product = leads_fixtures.product
web_form = leads_fixtures.web_form

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def fa(message: str) -> str:
    with override("fa"):
        return gettext(message)


# ---- list, form and lead page --------------------------------------------------------------


def test_the_list_escapes_filters_and_speaks_persian_digits(web_as, agent, make_lead):
    make_lead(agent, last_name=XSS, phone="09121234567", utm_campaign="بهار")
    make_lead(agent, last_name="دیگری")
    page = web_as(agent).get(reverse("sales:lead_list")).content.decode()
    assert ESCAPED in page and XSS not in page
    assert "۰۹۱۲" in page  # the phone, in Persian digits
    filtered = web_as(agent).get(reverse("sales:lead_list") + "?campaign=بهار").content.decode()
    assert ESCAPED in filtered and "دیگری" not in filtered
    searched = web_as(agent).get(reverse("sales:lead_list") + "?q=دیگري").content.decode()
    assert "دیگری" in searched and ESCAPED not in searched
    bad = web_as(agent).get(reverse("sales:lead_list") + "?owner=abc")
    assert bad.status_code == 200 and 'id="filter-errors"' in bad.content.decode()


def test_the_list_costs_the_same_queries_for_few_or_many_leads(web_as, agent, make_lead):
    client = web_as(agent)
    make_lead(agent)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("sales:lead_list"))
    for i in range(10):
        make_lead(agent, last_name=f"ل{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("sales:lead_list"))
    assert len(many) == len(one)


def test_create_edit_and_a_stale_edit(web_as, agent):
    client = web_as(agent)
    response = client.post(
        reverse("sales:lead_create"),
        {"last_name": "فرمی", "phone": "۰۹۱۲۱۱۱۲۲۳۳", "email": "FORM@example.ir", "status": "new"},
    )
    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "sales:lead_detail", args=[lead.pk]
    )
    assert (lead.phone, lead.email, lead.owner) == ("+989121112233", "form@example.ir", agent)
    edit = reverse("sales:lead_edit", args=[lead.pk])
    assert (
        client.post(edit, {"last_name": "نو", "version": "1", "status": "new"}).status_code == 302
    )
    stale = client.post(edit, {"last_name": "کهنه", "version": "1", "status": "new"})
    assert stale.status_code == 409
    assert fa(str(StaleVersionError.message)) in stale.content.decode()
    assert Lead.objects.get().last_name == "نو"


def test_bad_input_is_shown_in_persian_and_nothing_is_saved(web_as, agent):
    response = web_as(agent).post(
        reverse("sales:lead_create"), {"last_name": "", "phone": "abc", "email": "x@"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    for message in (
        "This field is required.",
        "This is not a phone number.",
        "Enter a valid e-mail address.",
    ):
        assert fa(message) in page
    assert not Lead.all_objects.exists()


def test_the_lead_page_shows_scores_and_the_model_note(web_as, manager, agent, make_lead):
    scoring.create_rule(
        manager, {"label": "معرفی‌شده", "attribute": "source", "value": "referral", "points": 30}
    )
    synthetic_history(agent, 10, seed=1)
    model = scoring.train()
    lead = make_lead(agent, source="referral")
    page = web_as(agent).get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert "معرفی‌شده" in page and "+۳۰" in page
    with override("fa"):
        note = fa_digits(scoring.describe(model))  # "not enough history yet (n won / m lost)"
    assert 'id="prediction-note"' in page and note in page


def test_the_lead_page_is_404_for_another_team(web_as, agent, other_agent, make_lead):
    lead = make_lead(agent)
    client = web_as(other_agent)
    for name in ("sales:lead_detail", "sales:lead_edit"):
        assert client.get(reverse(name, args=[lead.pk])).status_code == 404
    for name in ("sales:lead_convert", "sales:lead_disqualify", "sales:lead_delete"):
        assert client.post(reverse(name, args=[lead.pk])).status_code == 404
    assert lead.last_name not in client.get(reverse("sales:lead_list")).content.decode()


def test_a_viewer_sees_no_write_buttons_and_cannot_write(web_as, viewer, agent, make_lead):
    lead = make_lead(agent)
    client = web_as(viewer)
    page = client.get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert 'id="convert-form"' not in page and 'id="edit-link"' not in page
    client.post(reverse("sales:lead_convert", args=[lead.pk]), {"create_deal": "1"})
    client.post(reverse("sales:lead_create"), {"last_name": "x"})
    assert not Person.objects.exists() and Lead.objects.count() == 1


def test_convert_from_the_lead_page(web_as, agent, make_lead, settings):
    settings.PEYVAND_CURRENCY_DISPLAY = "toman"
    lead = make_lead(agent, first_name="کیان", phone="09120001122", company="شرکت دلتا")
    client = web_as(agent)
    response = client.post(
        reverse("sales:lead_convert", args=[lead.pk]),
        {
            "create_deal": "1",
            "deal_title": "دلتا",
            "deal_amount": "۲٬۰۰۰٬۰۰۰",
            "version": "1",
            "deal_expected_close": "۱۴۰۵/۰۴/۰۱",
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "converted"
    assert lead.deal.amount == 20_000_000  # typed in Toman, stored in Rials
    page = client.get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert reverse("customers:person_detail", args=[lead.person_id]) in page
    assert reverse("customers:organization_detail", args=[lead.organization_id]) in page
    assert 'id="deal-link"' in page
    again = client.post(reverse("sales:lead_convert", args=[lead.pk]), {"version": "2"})
    assert again.status_code == 422 and 'id="conversion-errors"' in again.content.decode()
    assert Person.objects.count() == 1


def test_a_bad_conversion_is_shown_on_the_page(web_as, agent, make_lead):
    lead = make_lead(agent)
    response = web_as(agent).post(
        reverse("sales:lead_convert", args=[lead.pk]),
        {"create_deal": "1", "deal_amount": "ده", "version": "1"},
    )
    assert response.status_code == 422
    assert 'id="conversion-errors"' in response.content.decode()
    assert not Person.objects.exists()


def test_disqualify_and_trash_from_the_pages(web_as, agent, make_lead):
    lead = make_lead(agent)
    client = web_as(agent)
    missing = client.post(reverse("sales:lead_disqualify", args=[lead.pk]), {"version": "1"})
    assert missing.status_code == 422
    client.post(reverse("sales:lead_disqualify", args=[lead.pk]), {"reason": XSS, "version": "1"})
    page = client.get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert ESCAPED in page and XSS not in page
    client.post(reverse("sales:lead_delete", args=[lead.pk]))
    assert not Lead.objects.exists()
    assert "احمدی" in client.get(reverse("core:trash")).content.decode()
    client.post(reverse("core:trash_restore", args=["lead", lead.pk]))
    assert Lead.objects.exists()


# ---- settings pages ------------------------------------------------------------------------


def test_agents_cannot_open_lead_settings(web_as, agent):
    client = web_as(agent)
    for name in ("sales:web_form_list", "sales:assignment_rule_list", "sales:scoring_rule_list"):
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("sales:score_model_train")).status_code == 403


def test_a_manager_creates_a_web_form_and_sees_its_snippet(web_as, manager, team_a, agent):
    client = web_as(manager)
    response = client.post(
        reverse("sales:web_form_list"),
        {
            "name": "فرم قیمت",
            "team": team_a.pk,
            "default_owner": agent.pk,
            "source": "website",
            "allowed_origins": "https://shop.example.ir",
            "is_active": "1",
        },
    )
    assert response.status_code == 302
    form = WebForm.objects.get()
    page = client.get(reverse("sales:web_form_list")).content.decode()
    snippet = f'src="http://testserver/static/sales/leadform.js" data-form="{form.key}"'
    assert escape(snippet) in page
    bad = client.post(
        reverse("sales:web_form_list"),
        {"name": "", "team": "", "default_owner": "", "allowed_origins": "ftp://x"},
    )
    assert bad.status_code == 422 and WebForm.objects.count() == 1


def test_a_manager_manages_assignment_and_scoring_rules(web_as, manager, team_a, agent):
    client = web_as(manager)
    client.post(
        reverse("sales:assignment_rule_list"),
        {
            "name": "نوبتی",
            "position": "۱",
            "method": "round_robin",
            "team": team_a.pk,
            "is_active": "1",
        },
    )
    rule = AssignmentRule.objects.get()
    assert (rule.position, rule.team) == (1, team_a)
    client.post(
        reverse("sales:assignment_rule_edit", args=[rule.pk]),
        {"name": "نوبتی", "method": "user", "assignee": agent.pk, "team": team_a.pk},
    )
    rule.refresh_from_db()
    assert (rule.method, rule.assignee, rule.is_active) == ("user", agent, False)
    client.post(reverse("sales:assignment_rule_delete", args=[rule.pk]))
    assert not AssignmentRule.objects.exists()

    client.post(
        reverse("sales:scoring_rule_list"),
        {"label": XSS, "attribute": "has_email", "points": "۱۰", "is_active": "1"},
    )
    scoring_rule = ScoringRule.objects.get()
    assert scoring_rule.points == 10
    page = client.get(reverse("sales:scoring_rule_list")).content.decode()
    assert ESCAPED in page and XSS not in page
    bad = client.post(
        reverse("sales:scoring_rule_list"),
        {"label": "x", "attribute": "province", "value": "۹۹۹", "points": "1"},
    )
    assert bad.status_code == 422 and ScoringRule.objects.count() == 1
    client.post(reverse("sales:scoring_rule_delete", args=[scoring_rule.pk]))
    assert not ScoringRule.objects.exists()


def test_train_now_tells_the_manager_what_came_of_it(web_as, manager, agent):
    synthetic_history(agent, 20, seed=1)
    response = web_as(manager).post(reverse("sales:score_model_train"), follow=True)
    with override("fa"):
        note = scoring.describe(scoring.latest_model())
    assert note in response.content.decode()


# ---- the public web form -------------------------------------------------------------------


def public_url(form, query=""):
    return reverse("sales:web_form_public", args=[form.key]) + query


def test_the_public_form_opens_without_login_and_may_be_framed(client, web_form, product):
    response = client.get(
        public_url(web_form, "?utm_source=google&utm_campaign=بهار&page=https://shop.example.ir/")
    )
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    page = response.content.decode()
    assert 'dir="rtl"' in page and product.name in page
    assert 'name="utm_campaign" value="بهار"' in page
    assert 'name="landing_page" value="https://shop.example.ir/"' in page


def test_a_visitor_submits_and_a_lead_appears(client, web_form, agent):
    response = client.post(
        public_url(web_form),
        {
            "first_name": "نیما",
            "last_name": "کریمی",
            "phone": "۰۹۱۲۴۴۴۵۵۶۶",
            "message": XSS,
            "utm_source": "google",
            "landing_page": "https://shop.example.ir/",
        },
    )
    assert response.status_code == 200
    assert 'id="lead-form-sent"' in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.owner, lead.web_form, lead.utm_source) == (agent, web_form, "google")
    assert lead.message == XSS


def test_a_bad_submission_is_shown_again_in_persian(client, web_form):
    response = client.post(public_url(web_form), {"last_name": "", "phone": "۱۲", "email": "a@"})
    assert response.status_code == 422
    page = response.content.decode()
    assert fa("This field is required.") in page and fa("Enter a valid e-mail address.") in page
    assert 'value="a@"' in page
    assert not Lead.all_objects.exists()


def test_the_honeypot_thanks_the_bot_and_keeps_nothing(client, web_form):
    response = client.post(
        public_url(web_form), {"last_name": "ربات", "phone": "09121234567", "website": "x"}
    )
    assert response.status_code == 200 and 'id="lead-form-sent"' in response.content.decode()
    assert not Lead.all_objects.exists()


def test_too_many_submissions_are_refused(client, web_form, settings):
    settings.PEYVAND = {**settings.PEYVAND, "WEB_FORM_RATE_LIMIT": (2, 600)}
    data = {"last_name": "پرکار", "phone": "09121234567"}
    statuses = [client.post(public_url(web_form), data).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert Lead.objects.count() == 2


def test_origins_not_listed_are_refused(client, web_form, manager):
    leads.update_web_form(manager, web_form, {"allowed_origins": "https://shop.example.ir"})
    data = {"last_name": "دور", "phone": "09121234567"}
    refused = client.post(public_url(web_form), data, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    allowed = client.post(public_url(web_form), data, headers={"Origin": "https://shop.example.ir"})
    assert allowed.status_code == 200
    framed = client.post(public_url(web_form), data, headers={"Origin": "http://testserver"})
    assert framed.status_code == 200
    assert Lead.objects.count() == 2
    csp = client.get(public_url(web_form))["Content-Security-Policy"]
    assert csp == "frame-ancestors 'self' https://shop.example.ir"


def test_an_inactive_or_unknown_form_is_404(client, web_form, manager):
    assert client.get(reverse("sales:web_form_public", args=["nope"])).status_code == 404
    leads.update_web_form(manager, web_form, {"is_active": False})
    assert client.get(public_url(web_form)).status_code == 404
    assert client.post(public_url(web_form), {"last_name": "x"}).status_code == 404


def test_the_embed_script_is_served(client):
    response = client.get("/static/sales/leadform.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"/sales/forms/" in body and b"utm_" in body
