"""The customer pages as a user meets them: lists, forms, the 360 view, tags, custom fields."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from iranian_cities.models import City

from peyvand.accounts.models import Role
from peyvand.core.errors import StaleVersionError
from peyvand.customers import services
from peyvand.customers.models import CustomFieldDefinition, Organization, Person, Tag

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def person_post(**overrides):
    data = {
        "first_name": "علي",
        "last_name": "كريمي",
        "national_id": "",
        "birthday": "",
        "gender": "",
        "preferred_channel": "",
        "source": "",
        "lifecycle_stage": "lead",
        "description": "",
        "owner": "",
        "team": "",
        "phone_number": ["٠٩١٢١٢٣٤٥٦٧"],
        "phone_kind": ["mobile"],
    }
    data.update(overrides)
    return data


def body(response) -> str:
    return response.content.decode()


# ---- every page renders in Persian ------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "customers:person_list",
        "customers:organization_list",
        "customers:person_create",
        "customers:organization_create",
        "customers:tag_list",
        "customers:custom_field_list",
    ],
)
def test_page_renders_in_persian(admin, web_as, name):
    response = web_as(admin).get(reverse(name))
    assert response.status_code == 200
    assert '<html lang="fa" dir="rtl">' in body(response)


def test_record_pages_render_in_persian(admin, web_as, make_person, make_organization):
    person, org = make_person(admin), make_organization(admin)
    client = web_as(admin)
    for url in (
        reverse("customers:person_detail", args=[person.pk]),
        reverse("customers:person_edit", args=[person.pk]),
        reverse("customers:organization_detail", args=[org.pk]),
        reverse("customers:organization_edit", args=[org.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="fa" dir="rtl">' in body(response)


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(reverse("customers:person_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# ---- create and edit --------------------------------------------------------------------


def test_create_person_with_arabic_keyboard_input(agent, web_as, team_a):
    tag = Tag.objects.create(name="مشتری ویژه", key="مشتری ویژه")
    city = City.objects.select_related("province").first()
    response = web_as(agent).post(
        reverse("customers:person_create"),
        person_post(
            birthday="۱۳۷۰/۰۵/۱۲",
            national_id="۰۰۱۲۳۴۵۶۷۹",
            tags=[str(tag.pk)],
            email_address=["Ali@Example.com"],
            email_kind=["work"],
            address_province=[str(city.province_id)],
            address_city=[str(city.pk)],
            address_line=["خیابان آزادی"],
            address_postal_code=["۱۲۳۴۵۶۷۸۹۰"],
            address_kind=["home"],
            social_network=["telegram"],
            social_handle=["@ali_k"],
            consent_sms="1",
            consent_sms_source="فرم ثبت‌نام",
        ),
    )
    person = Person.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:person_detail", args=[person.pk])
    assert (person.first_name, person.last_name) == ("علي", "كريمي")
    assert person.phones.get().number == "+989121234567"
    assert person.emails.get().address == "ali@example.com"
    assert person.birthday.isoformat() == "1991-08-03"
    assert person.national_id == "0012345679"
    assert list(person.tags.all()) == [tag]
    address = person.addresses.get()
    assert (address.city, address.postal_code) == (city, "1234567890")
    assert person.social_handles.get().handle == "ali_k"
    consent = person.consents.get()
    assert (consent.channel, consent.granted, consent.source) == ("sms", True, "فرم ثبت‌نام")
    assert person.owner == agent and person.team == team_a


def test_blank_added_rows_are_ignored(agent, web_as):
    web_as(agent).post(
        reverse("customers:person_create"),
        person_post(phone_number=["09121234567", ""], phone_kind=["mobile", "work"]),
    )
    assert Person.objects.get().phones.count() == 1


def test_validation_errors_are_shown_next_to_the_right_row_and_input_is_kept(agent, web_as):
    response = web_as(agent).post(
        reverse("customers:person_create"),
        person_post(
            last_name="",
            first_name="مریم",
            phone_number=["09121234567", "12"],
            phone_kind=["mobile", "mobile"],
            birthday="1403/13/40",
        ),
    )
    html = body(response)
    assert response.status_code == 422
    assert Person.all_objects.count() == 0
    assert 'value="مریم"' in html
    assert 'value="12"' in html
    # The bad phone is the second row; its input is marked and followed by its message.
    second_row = html.split('name="phone_number"')[2]
    assert "is-invalid" in html.split('name="phone_number"')[1][-80:]
    assert "invalid-feedback" in second_row.split("phone_kind")[0]
    assert "is-invalid" not in html.split('name="phone_number"')[0][-80:]
    assert 'id="id_last_name"' in html and "invalid-feedback" in html.split('id="id_last_name"')[1]
    assert "invalid-feedback" in html.split('id="id_birthday"')[1].split("</div>")[0]


@pytest.mark.parametrize(
    "field,value",
    [
        ("last_name", "x" * 10_000_000),
        ("description", "x" * 10_000_000),
        ("national_id", "garbage!"),
        ("birthday", "not a date"),
        ("owner", "99999999999999999999999"),
        ("team", "abc"),
        ("gender", "robot"),
        ("tags", "999999"),
    ],
)
def test_bad_input_gets_a_clear_error_not_a_500(agent, web_as, field, value):
    response = web_as(agent).post(reverse("customers:person_create"), person_post(**{field: value}))
    assert response.status_code == 422
    assert "invalid-feedback" in body(response)
    assert Person.all_objects.count() == 0


def test_xss_payload_is_stored_inert_and_rendered_escaped(agent, web_as):
    client = web_as(agent)
    client.post(
        reverse("customers:person_create"),
        person_post(first_name=XSS, description=XSS, consent_email="1", consent_email_source=XSS),
    )
    person = Person.objects.get()
    assert person.first_name == XSS
    for url in (
        reverse("customers:person_detail", args=[person.pk]),
        reverse("customers:person_list"),
        reverse("customers:person_edit", args=[person.pk]),
        reverse("core:search") + "?q=alert",
    ):
        html = body(client.get(url))
        assert XSS not in html, url
        assert ESCAPED in html, url


def test_csv_formula_is_kept_as_plain_text(agent, web_as):
    web_as(agent).post(reverse("customers:person_create"), person_post(last_name="=HYPERLINK(1)"))
    assert Person.objects.get().last_name == "=HYPERLINK(1)"


def test_edit_person_keeps_unchanged_rows(agent, web_as, make_person):
    person = make_person(agent, first_name="مریم", phones=["09121234567"])
    client = web_as(agent)
    form = body(client.get(reverse("customers:person_edit", args=[person.pk])))
    assert 'name="version" value="1"' in form
    assert 'value="0912 123 4567"' in form
    response = client.post(
        reverse("customers:person_edit", args=[person.pk]),
        person_post(first_name="زهرا", last_name="رضایی", version="1"),
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.first_name, person.version) == ("زهرا", 2)


def test_stale_edit_shows_the_conflict_message_and_saves_nothing(agent, web_as, make_person):
    person = make_person(agent, first_name="مریم")
    services.update_person(agent, person, {"first_name": "سارا"})
    response = web_as(agent).post(
        reverse("customers:person_edit", args=[person.pk]),
        person_post(first_name="زهرا", last_name="رضایی", version="1"),
    )
    html = body(response)
    assert response.status_code == 409
    assert 'class="alert alert-danger" role="alert"' in html
    assert str(StaleVersionError.message) in html
    assert 'value="زهرا"' in html
    person.refresh_from_db()
    assert person.first_name == "سارا"


@pytest.mark.parametrize("version", ["", "abc", "99999999999999999999999"])
def test_edit_with_missing_or_garbage_version_is_a_conflict(agent, web_as, make_person, version):
    person = make_person(agent)
    response = web_as(agent).post(
        reverse("customers:person_edit", args=[person.pk]),
        person_post(last_name="دیگر", version=version),
    )
    assert response.status_code == 409
    person.refresh_from_db()
    assert person.last_name == "رضایی"


def test_unticking_a_consent_revokes_it(agent, web_as, make_person):
    person = make_person(agent, consents=[{"channel": "sms", "granted": True, "source": "فرم"}])
    web_as(agent).post(
        reverse("customers:person_edit", args=[person.pk]),
        person_post(last_name="رضایی", version="1", consent_sms_source="فرم"),
    )
    assert person.consents.get().granted is False


def test_person_links_to_organization_with_job_title(agent, web_as, make_organization):
    org = make_organization(agent, name="فولاد مبارکه")
    client = web_as(agent)
    client.post(
        reverse("customers:person_create"),
        person_post(org_organization=[str(org.pk)], org_job_title=["مدیر فروش"]),
    )
    person = Person.objects.get()
    assert person.memberships.get().job_title == "مدیر فروش"
    html = body(client.get(reverse("customers:organization_detail", args=[org.pk])))
    assert person.full_name in html and "مدیر فروش" in html


def test_create_and_edit_organization(agent, web_as):
    client = web_as(agent)
    response = client.post(
        reverse("customers:organization_create"),
        {
            "name": "شركت پيوند",
            "website": "example.com",
            "size": "11-50",
            "industry": "نرم‌افزار",
            "phone_number": ["۰۲۱۸۸۷۷۶۶۵۵"],
            "phone_kind": ["work"],
        },
    )
    org = Organization.objects.get()
    assert response.status_code == 302
    assert org.website == "https://example.com"
    assert org.phones.get().number == "+982188776655"
    response = client.post(
        reverse("customers:organization_edit", args=[org.pk]),
        {"name": "", "version": str(org.version)},
    )
    assert response.status_code == 422
    assert "invalid-feedback" in body(response).split('id="id_name"')[1]


def test_custom_fields_are_in_the_form_and_on_the_360_page(admin, web_as):
    CustomFieldDefinition.objects.create(
        entity="person", key="level", label="سطح", field_type="choice", choices=["طلایی", "نقره‌ای"]
    )
    CustomFieldDefinition.objects.create(
        entity="person", key="signed", label="تاریخ قرارداد", field_type="date"
    )
    CustomFieldDefinition.objects.create(
        entity="person", key="langs", label="زبان‌ها", field_type="multichoice", choices=["fa", "en"]
    )
    client = web_as(admin)
    form = body(client.get(reverse("customers:person_create")))
    assert 'name="cf_level"' in form and 'name="cf_signed"' in form and "data-jdp" in form
    client.post(
        reverse("customers:person_create"),
        person_post(cf_level="طلایی", cf_signed="۱۴۰۲/۰۱/۱۵", cf_langs=["fa", "en"]),
    )
    person = Person.objects.get()
    assert person.custom == {"level": "طلایی", "signed": "2023-04-04", "langs": ["fa", "en"]}
    html = body(client.get(reverse("customers:person_detail", args=[person.pk])))
    assert "طلایی" in html and "۱۴۰۲/۰۱/۱۵" in html
    edit = body(client.get(reverse("customers:person_edit", args=[person.pk])))
    assert 'value="1402/01/15"' in edit


def test_bad_custom_value_is_shown_with_its_field(admin, web_as):
    CustomFieldDefinition.objects.create(
        entity="person", key="score", label="امتیاز", field_type="number"
    )
    response = web_as(admin).post(reverse("customers:person_create"), person_post(cf_score="بسیار"))
    assert response.status_code == 422
    assert "invalid-feedback" in body(response).split('id="id_cf_score"')[1].split("</div>")[0]


def test_city_options_follow_the_province(agent, web_as):
    city = City.objects.first()
    html = body(
        web_as(agent).get(reverse("customers:city_options"), {"province": city.province_id})
    )
    assert f'value="{city.pk}"' in html
    other = City.objects.exclude(province_id=city.province_id).first()
    assert f'value="{other.pk}"' not in html
    for garbage in ("abc", "99999999999999999999999", ""):
        response = web_as(agent).get(reverse("customers:city_options"), {"province": garbage})
        assert response.status_code == 200
        assert "<option" in body(response)


# ---- the 360 view -----------------------------------------------------------------------


def test_360_page_shows_contact_links_and_audit_timeline(agent, web_as, make_person):
    person = make_person(
        agent,
        first_name="علی",
        phones=["09121234567"],
        emails=["ali@example.com"],
        birthday="1370/05/12",
    )
    services.update_person(agent, person, {"first_name": "علیرضا"})
    html = body(web_as(agent).get(reverse("customers:person_detail", args=[person.pk])))
    assert 'href="tel:+989121234567"' in html
    assert "۰۹۱۲ ۱۲۳ ۴۵۶۷" in html
    assert 'href="mailto:ali@example.com"' in html
    assert "۱۳۷۰/۰۵/۱۲" in html
    assert 'id="timeline"' in html
    assert 'id="edit-link"' in html and 'id="delete-button"' in html


# ---- visibility and roles ---------------------------------------------------------------


def _record_urls(person, org):
    return [
        reverse("customers:person_detail", args=[person.pk]),
        reverse("customers:person_edit", args=[person.pk]),
        reverse("customers:organization_detail", args=[org.pk]),
        reverse("customers:organization_edit", args=[org.pk]),
    ]


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER, Role.VIEWER])
def test_other_teams_records_are_404_and_absent_from_lists(
    role, make_user, team_b, agent, web_as, make_person, make_organization
):
    person = make_person(agent, last_name="محرمانه")
    org = make_organization(agent, name="سازمان محرمانه")
    client = web_as(make_user(role, [team_b]))
    for url in _record_urls(person, org):
        assert client.get(url).status_code == 404, url
    for name in ("customers:person_delete", "customers:organization_delete"):
        pk = person.pk if "person" in name else org.pk
        assert client.post(reverse(name, args=[pk])).status_code == 404
    assert "محرمانه" not in body(client.get(reverse("customers:person_list")))
    assert "محرمانه" not in body(client.get(reverse("customers:organization_list")))
    found = client.get(reverse("core:search"), {"q": "محرمانه"}).context["results"]
    assert found == {"people": [], "organizations": []}
    assert not Person.trashed.exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_team_records_are_visible_to_every_role_of_the_team(
    role, make_user, team_a, agent, web_as, make_person, make_organization
):
    person = make_person(agent, last_name="همکار")
    org = make_organization(agent, name="سازمان همکار")
    client = web_as(make_user(role, [team_a]))
    for url in (
        reverse("customers:person_detail", args=[person.pk]),
        reverse("customers:organization_detail", args=[org.pk]),
    ):
        html = body(client.get(url))
        assert "همکار" in html
        assert ('id="edit-link"' in html) is (role != Role.VIEWER)
    assert "همکار" in body(client.get(reverse("customers:person_list")))
    assert "همکار" in body(client.get(reverse("customers:organization_list")))


def test_viewer_reads_but_cannot_change_anything(viewer, agent, web_as, make_person):
    person = make_person(agent, first_name="مریم")
    client = web_as(viewer)
    list_html = body(client.get(reverse("customers:person_list")))
    assert "مریم" in list_html
    assert reverse("customers:person_create") not in list_html
    for url, data in (
        (reverse("customers:person_create"), person_post()),
        (reverse("customers:person_edit", args=[person.pk]), person_post(version="1")),
        (reverse("customers:person_delete", args=[person.pk]), {}),
    ):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert "alert-danger" in body(response)
    person.refresh_from_db()
    assert (Person.objects.count(), person.first_name, person.version) == (1, "مریم", 1)
    response = client.get(reverse("customers:person_edit", args=[person.pk]), follow=True)
    assert 'name="version"' not in body(response)


def test_agent_cannot_delete_a_team_mates_record(agent, make_user, team_a, web_as, make_person):
    person = make_person(agent)
    mate = make_user(Role.AGENT, [team_a])
    response = web_as(mate).post(reverse("customers:person_delete", args=[person.pk]), follow=True)
    assert "alert-danger" in body(response)
    assert Person.objects.filter(pk=person.pk).exists()


def test_delete_moves_to_trash(agent, web_as, make_person):
    person = make_person(agent)
    client = web_as(agent)
    assert client.get(reverse("customers:person_delete", args=[person.pk])).status_code == 405
    response = client.post(reverse("customers:person_delete", args=[person.pk]))
    assert response["Location"] == reverse("customers:person_list")
    assert Person.trashed.filter(pk=person.pk).exists()
    assert client.get(reverse("customers:person_detail", args=[person.pk])).status_code == 404


# ---- lists: filters, sorting, pagination ------------------------------------------------


def test_filters_narrow_the_list(agent, web_as, make_person):
    tag = services.create_tag(agent, name="VIP")
    make_person(agent, last_name="احمدی", tags=[tag.pk], lifecycle_stage="customer")
    make_person(agent, last_name="بهرامی", lifecycle_stage="lead")
    client = web_as(agent)
    url = reverse("customers:person_list")
    by_tag = body(client.get(url, {"tag": tag.pk}))
    assert "احمدی" in by_tag and "بهرامی" not in by_tag
    by_stage = body(client.get(url, {"stage": "lead"}))
    assert "بهرامی" in by_stage and "احمدی" not in by_stage
    by_search = body(client.get(url, {"q": "احمدي"}))
    assert "احمدی" in by_search and "بهرامی" not in by_search


def test_custom_field_filter_on_the_list(admin, web_as, make_person):
    CustomFieldDefinition.objects.create(
        entity="person", key="level", label="سطح", field_type="choice", choices=["طلایی", "برنزی"]
    )
    make_person(admin, last_name="احمدی", custom={"level": "طلایی"})
    make_person(admin, last_name="بهرامی", custom={"level": "برنزی"})
    html = body(web_as(admin).get(reverse("customers:person_list"), {"cf_level": "طلایی"}))
    assert 'name="cf_level"' in html
    assert "احمدی" in html and "بهرامی" not in html


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "garbage"},
        {"sort": "password"},
        {"owner": "abc"},
        {"tag": "99999999999999999999999"},
        {"province": "۱۲x"},
        {"q": "x" * 100_000},
    ],
)
def test_bad_filter_or_cursor_shows_a_message_not_a_500(agent, web_as, params):
    response = web_as(agent).get(reverse("customers:person_list"), params)
    assert response.status_code == 200


def test_bad_cursor_message_is_shown(agent, web_as):
    html = body(web_as(agent).get(reverse("customers:person_list"), {"cursor": "garbage"}))
    assert 'id="filter-errors"' in html


def test_keyset_pagination_walks_every_person_once(agent, web_as, make_person, settings):
    settings.PEYVAND = {**settings.PEYVAND, "PAGE_SIZE": 2}
    names = ["آرش", "بابک", "پرویز", "تینا", "ثمین"]
    for name in names:
        make_person(agent, last_name=name)
    client = web_as(agent)
    seen, params = [], {"sort": "name"}
    for _page in range(5):
        response = client.get(reverse("customers:person_list"), params)
        html = body(response)
        seen += [n for n in names if n in html]
        if 'id="next-page"' not in html:
            break
        params = dict(response.context["params"].items())
        params["cursor"] = response.context["next_cursor"]
    assert sorted(seen) == sorted(names)  # each person on exactly one page


def test_sort_links_keep_the_filters(agent, web_as):
    html = body(web_as(agent).get(reverse("customers:person_list"), {"stage": "lead"}))
    assert "?stage=lead&amp;sort=-name" in html


# ---- tags and custom-field definitions --------------------------------------------------


def test_tags_create_rename_delete(manager, web_as):
    client = web_as(manager)
    url = reverse("customers:tag_list")
    client.post(url, {"action": "create", "name": "همکار", "color": "#112233"})
    tag = Tag.objects.get()
    client.post(url, {"action": "rename", "tag": tag.pk, "name": "شریک", "color": "#112233"})
    tag.refresh_from_db()
    assert tag.name == "شریک"
    response = client.post(url, {"action": "create", "name": "شريك"})
    assert response.status_code == 422 and "alert-warning" in body(response)
    client.post(url, {"action": "delete", "tag": tag.pk})
    assert not Tag.objects.exists()


def test_agent_cannot_delete_tags_and_viewer_cannot_add(agent, viewer, web_as):
    tag = services.create_tag(agent, name="VIP")
    url = reverse("customers:tag_list")
    assert "alert-danger" in body(
        web_as(agent).post(url, {"action": "delete", "tag": tag.pk}, follow=True)
    )
    assert "alert-danger" in body(
        web_as(viewer).post(url, {"action": "create", "name": "x"}, follow=True)
    )
    assert list(Tag.objects.values_list("name", flat=True)) == ["VIP"]
    for garbage in ("abc", "99999999999999999999999"):
        response = web_as(agent).post(url, {"action": "rename", "tag": garbage, "name": "y"})
        assert response.status_code == 404


def test_admin_defines_custom_fields(admin, web_as):
    client = web_as(admin)
    response = client.post(
        reverse("customers:custom_field_list"),
        {
            "entity": "person",
            "key": "level",
            "label": "سطح",
            "field_type": "choice",
            "choices": "طلایی\r\nنقره‌ای\r\n",
            "required": "1",
            "is_active": "1",
            "position": "۲",
        },
    )
    assert response.status_code == 302
    definition = CustomFieldDefinition.objects.get()
    assert (definition.choices, definition.required, definition.position) == (
        ["طلایی", "نقره‌ای"],
        True,
        2,
    )
    edit_url = reverse("customers:custom_field_edit", args=[definition.pk])
    assert "نقره‌ای" in body(client.get(edit_url))
    client.post(edit_url, {"label": "رده", "choices": "طلایی", "position": "1"})
    definition.refresh_from_db()
    assert (definition.label, definition.is_active, definition.choices) == ("رده", False, ["طلایی"])


def test_custom_field_errors_are_shown(admin, web_as):
    response = web_as(admin).post(
        reverse("customers:custom_field_list"),
        {"entity": "person", "key": "۱bad key", "label": "", "field_type": "choice"},
    )
    html = body(response)
    assert response.status_code == 422
    assert "invalid-feedback" in html.split('id="id_key"')[1].split("</div>")[0]
    assert "invalid-feedback" in html.split('id="id_choices"')[1].split("</div>")[0]
    assert not CustomFieldDefinition.objects.exists()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_only_admins_define_custom_fields(role, make_user, team_a, web_as):
    client = web_as(make_user(role, [team_a]))
    assert client.get(reverse("customers:custom_field_list")).status_code == 403
    response = client.post(
        reverse("customers:custom_field_list"),
        {"entity": "person", "key": "x", "label": "x", "field_type": "text"},
    )
    assert response.status_code == 403
    assert not CustomFieldDefinition.objects.exists()


@pytest.mark.parametrize("name", ["customers:person_list", "customers:organization_list"])
def test_list_queries_do_not_grow_with_rows(agent, web_as, make_person, make_organization, name):
    tag = services.create_tag(agent, name="VIP")
    client = web_as(agent)
    make = make_person if "person" in name else make_organization
    # Eleven namesakes with near phones: duplicates on purpose, saved anyway.
    extra = {"allow_duplicate": True} if make is make_person else {}
    make(agent, phones=["09121234567"], tags=[tag.pk], **extra)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse(name))
    for i in range(10):
        make(agent, phones=[f"0912123450{i}"], tags=[tag.pk], **extra)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(name))
    assert len(many) == len(one)
