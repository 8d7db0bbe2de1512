"""People and organisations through the API: round trips, versions, errors, lists."""

import json

import pytest

from peyvand.customers import services
from peyvand.customers.models import Organization, Person

XSS = "<script>alert(1)</script>"


@pytest.fixture
def api(api_as, agent):
    return api_as(agent)


def test_person_round_trip(api, agent, admin, make_organization):
    org = make_organization(agent, name="شرکت پیوند")
    tag = services.create_tag(agent, name="مشتری ویژه")
    services.create_tag(agent, name="كيفيت")  # named below with Persian letters
    services.create_custom_field(
        admin, {"entity": "person", "key": "level", "label": "سطح", "field_type": "number"}
    )
    created = api.post(
        "/api/v1/persons",
        {
            "first_name": "علي",
            "last_name": "كريمي",
            "phones": ["۰۹۱۲ ۱۲۳ ۴۵۶۷", {"number": "021-88776655", "kind": "work"}],
            "emails": [{"address": "Ali@Example.COM", "kind": "personal"}],
            "national_id": "۰۰۱۲۳۴۵۶۷۹",
            "birthday": "1370/05/12",
            "gender": "male",
            "preferred_channel": "sms",
            "source": "website",
            "lifecycle_stage": "customer",
            "social_handles": [{"network": "telegram", "handle": "@ali_k"}],
            "consents": [{"channel": "sms", "granted": True, "source": "فرم سایت"}],
            "organizations": [{"organization": org.pk, "job_title": "مدیر فروش"}],
            "tags": [tag.pk, "کیفیت"],
            "custom": {"level": "۳"},
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert created["ETag"] == '"1"'
    assert created["Location"].endswith(f"/api/v1/persons/{body['id']}")
    assert body["first_name"] == "علي" and body["last_name"] == "كريمي"  # kept as typed
    assert body["phones"] == [
        {"number": "+989121234567", "kind": "mobile"},
        {"number": "+982188776655", "kind": "work"},
    ]
    assert body["emails"] == [{"address": "ali@example.com", "kind": "personal"}]
    assert body["national_id"] == "0012345679"
    assert body["birthday"] == "1991-08-03"
    assert body["social_handles"] == [{"network": "telegram", "handle": "ali_k"}]
    assert body["consents"][0]["channel"] == "sms" and body["consents"][0]["granted"] is True
    assert body["organizations"] == [{"organization": org.pk, "job_title": "مدیر فروش"}]
    assert sorted(t["name"] for t in body["tags"]) == ["كيفيت", "مشتری ویژه"]
    assert body["custom"] == {"level": 3}
    assert (body["owner"], body["team"], body["version"]) == (agent.pk, agent.team_ids[0], 1)

    fetched = api.get(f"/api/v1/persons/{body['id']}")
    assert fetched.status_code == 200 and fetched["ETag"] == '"1"'
    assert fetched.json() == body

    patched = api.patch(f"/api/v1/persons/{body['id']}", {"first_name": "مریم", "version": 1})
    assert patched.status_code == 200 and patched["ETag"] == '"2"'
    # A partial update leaves everything it does not name alone.
    expected = {**body, "first_name": "مریم", "version": 2}
    assert patched.json() == {**expected, "updated_at": patched.json()["updated_at"]}

    assert api.delete(f"/api/v1/persons/{body['id']}").status_code == 204
    assert api.get(f"/api/v1/persons/{body['id']}").status_code == 404
    assert Person.trashed.filter(pk=body["id"]).exists()
    restored = api.post(f"/api/v1/persons/{body['id']}/restore")
    assert restored.status_code == 200 and restored.json()["first_name"] == "مریم"
    assert api.get(f"/api/v1/persons/{body['id']}").status_code == 200


def test_birthday_accepts_iso_and_jalali_dates(api):
    iso = api.post("/api/v1/persons", {"last_name": "الف", "birthday": "1991-08-03"}).json()
    jalali = api.post("/api/v1/persons", {"last_name": "ب", "birthday": "۱۳۷۰/۰۵/۱۲"}).json()
    assert iso["birthday"] == jalali["birthday"] == "1991-08-03"
    bad = api.post("/api/v1/persons", {"last_name": "ج", "birthday": "1991-02-30"})
    assert bad.status_code == 422 and "birthday" in bad.json()["error"]["fields"]


def test_organization_round_trip(api, agent):
    created = api.post(
        "/api/v1/organizations",
        {
            "name": "شركت آلفا",
            "industry": "نرم‌افزار",
            "size": "11-50",
            "website": "example.com",
            "phones": ["02188776655"],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "شركت آلفا"
    assert body["website"] == "https://example.com"
    assert body["phones"] == [{"number": "+982188776655", "kind": "mobile"}]
    org_id = body["id"]
    patched = api.patch(
        f"/api/v1/organizations/{org_id}", {"size": "51-200"}, headers={"If-Match": '"1"'}
    )
    assert patched.status_code == 200 and patched.json()["size"] == "51-200"
    assert patched["ETag"] == '"2"'
    assert api.delete(f"/api/v1/organizations/{org_id}").status_code == 204
    assert Organization.trashed.filter(pk=org_id).exists()
    assert api.post(f"/api/v1/organizations/{org_id}/restore").status_code == 200


def test_stale_if_match_is_412_and_stale_body_version_is_409(api, agent, make_person):
    person = make_person(agent, first_name="مریم")
    services.update_person(agent, person, {"first_name": "زهرا"})  # now version 2
    stale_header = api.patch(
        f"/api/v1/persons/{person.pk}", {"first_name": "سارا"}, headers={"If-Match": '"1"'}
    )
    assert stale_header.status_code == 412
    assert stale_header.json()["error"]["code"] == "version_conflict"
    stale_body = api.patch(f"/api/v1/persons/{person.pk}", {"first_name": "سارا", "version": 1})
    assert stale_body.status_code == 409
    assert stale_body.json()["error"]["fields"] == {"version": ["2"]}
    stale_delete = api.delete(f"/api/v1/persons/{person.pk}", headers={"If-Match": '"1"'})
    assert stale_delete.status_code == 412
    person.refresh_from_db()
    assert (person.first_name, person.version, person.deleted_at) == ("زهرا", 2, None)
    fresh = api.patch(
        f"/api/v1/persons/{person.pk}", {"first_name": "سارا"}, headers={"If-Match": '"2"'}
    )
    assert fresh.status_code == 200 and fresh.json()["version"] == 3


def test_garbage_if_match_is_a_clear_400(api, agent, make_person):
    person = make_person(agent)
    response = api.patch(
        f"/api/v1/persons/{person.pk}", {"first_name": "x"}, headers={"If-Match": "yesterday"}
    )
    assert response.status_code == 400 and "error" in response.json()


def test_validation_errors_name_every_bad_field(api, admin):
    services.create_custom_field(
        admin, {"entity": "person", "key": "level", "label": "سطح", "field_type": "number"}
    )
    response = api.post(
        "/api/v1/persons",
        {
            "last_name": "",
            "national_id": "1234567890",
            "phones": ["12"],
            "emails": ["not-an-email"],
            "custom": {"level": "many", "nope": 1},
            "lifecycle_stage": "king",
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "Some fields are not valid."
    assert set(error["fields"]) == {
        "last_name",
        "national_id",
        "phones.0.number",
        "emails.0.address",
        "custom.level",
        "custom.nope",
        "lifecycle_stage",
    }
    assert Person.all_objects.count() == 0


def test_wrong_json_types_are_422_with_the_field(api):
    response = api.post("/api/v1/persons", {"last_name": "x", "phones": {"a": 1}, "tags": "x"})
    assert response.status_code == 422
    assert {"phones", "tags"} <= set(response.json()["error"]["fields"])


def test_errors_follow_accept_language(api):
    english = api.post("/api/v1/persons", {"last_name": ""}, headers={"Accept-Language": "en"})
    persian = api.post("/api/v1/persons", {"last_name": ""}, headers={"Accept-Language": "fa"})
    assert english.json()["error"]["message"] == "Some fields are not valid."
    assert english.json()["error"]["fields"]["last_name"] == ["This field is required."]
    # The Persian catalogue is filled in one pass later; the shape and codes already hold.
    assert persian.status_code == 422
    assert persian.json()["error"]["code"] == "validation_error"
    assert set(persian.json()["error"]["fields"]) == {"last_name"}
    assert persian["Content-Language"] == "fa"


def test_records_of_another_team_are_404(api_as, agent, other_agent, make_person):
    person = make_person(other_agent)
    api = api_as(agent)
    for response in (
        api.get(f"/api/v1/persons/{person.pk}"),
        api.patch(f"/api/v1/persons/{person.pk}", {"first_name": "x"}),
        api.delete(f"/api/v1/persons/{person.pk}"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    missing = api.get("/api/v1/persons/999999")
    assert missing.json() == response.json()  # no difference between hidden and missing


def test_keyset_pages_walk_every_record_once(api, agent, make_person):
    for i in range(23):
        make_person(agent, last_name=f"نفر {i:02d}")
    for sort in ("name", "-name", "created", "-created", "-updated"):
        seen, cursor = [], None
        while True:
            url = f"/api/v1/persons?limit=۵&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
            page = api.get(url).json()
            assert len(page["items"]) <= 5
            seen += [p["id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 23, sort
    names = [p["last_name"] for p in api.get("/api/v1/persons?limit=50").json()["items"]]
    assert names == sorted(names)


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "۱٫۵"])
def test_bad_limit_is_422(api, limit):
    response = api.get(f"/api/v1/persons?limit={limit}")
    assert response.status_code == 422 and "limit" in response.json()["error"]["fields"]


def test_limit_is_capped(api, agent, make_person, settings):
    settings.PEYVAND = {**settings.PEYVAND, "API_MAX_LIMIT": 3}
    for i in range(5):
        make_person(agent, last_name=f"نفر {i}")
    page = api.get("/api/v1/persons?limit=1000").json()
    assert len(page["items"]) == 3 and page["next_cursor"]


def test_bad_cursor_and_sort_are_422(api):
    assert "cursor" in api.get("/api/v1/persons?cursor=%%%").json()["error"]["fields"]
    assert "sort" in api.get("/api/v1/persons?sort=salary").json()["error"]["fields"]


def test_list_filters(api, agent, admin, make_person):
    services.create_custom_field(
        admin,
        {"entity": "person", "key": "vip", "label": "VIP", "field_type": "boolean"},
    )
    tag = services.create_tag(agent, name="نمایشگاه")
    tehran = make_person(
        agent,
        last_name="تهرانی",
        tags=[tag.pk],
        lifecycle_stage="customer",
        addresses=[{"province": 8, "line": "خیابان آزادی"}],
        custom={"vip": True},
        phones=["09121111111"],
    )
    make_person(agent, last_name="دیگری", lifecycle_stage="lead", custom={"vip": False})

    def ids(query):
        response = api.get(f"/api/v1/persons?{query}")
        assert response.status_code == 200, response.content
        return [p["id"] for p in response.json()["items"]]

    assert ids(f"tag={tag.pk}") == [tehran.pk]
    assert ids("stage=customer") == [tehran.pk]
    assert ids("province=8") == [tehran.pk]
    assert ids("cf_vip=true") == [tehran.pk]
    assert ids("q=تهراني") == [tehran.pk]  # Arabic ي finds Persian ی
    assert ids("q=۰۹۱۲۱۱۱") == [tehran.pk]
    assert ids(f"owner={agent.pk}&stage=lead") != [tehran.pk]
    assert "tag" in api.get("/api/v1/persons?tag=abc").json()["error"]["fields"]


def test_organization_list_and_search(api, agent, make_organization):
    make_organization(agent, name="صنایع غذایی كوثر")
    make_organization(agent, name="بانک")
    items = api.get("/api/v1/organizations?q=کوثر").json()["items"]
    assert [o["name"] for o in items] == ["صنایع غذایی كوثر"]


def test_script_payloads_are_stored_as_plain_text(api, agent):
    response = api.post(
        "/api/v1/persons",
        {"first_name": XSS, "last_name": XSS, "description": XSS},
    )
    assert response.status_code == 201
    person = Person.objects.get(pk=response.json()["id"])
    assert person.last_name == XSS and person.description == XSS
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["last_name"] == XSS


def test_ten_megabyte_strings_are_refused_cleanly(api, agent, make_person):
    huge = "x" * 10_000_000
    response = api.post("/api/v1/persons", {"last_name": huge})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"last_name"}
    person = make_person(agent)
    response = api.patch(f"/api/v1/persons/{person.pk}", {"description": huge})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"description"}
    assert Person.all_objects.count() == 1


def test_a_body_over_the_upload_limit_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post("/api/v1/persons", {"last_name": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert Person.all_objects.count() == 0


@pytest.mark.parametrize(
    "raw", [b"{garbage", b"[1, 2]", b'"just a string"', b"null", b"\xff\xfe{", b""]
)
def test_garbage_bodies_are_4xx_with_the_error_shape(api, raw):
    response = api.client.post(
        "/api/v1/persons",
        data=raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert 400 <= response.status_code < 500, response.content
    assert set(json.loads(response.content)["error"]) == {"code", "message", "fields"}
    assert Person.all_objects.count() == 0


@pytest.mark.parametrize("path_id", ["abc", "0", "-5", "1.5", "99999999999999999999999"])
def test_garbage_ids_are_4xx(api, path_id):
    response = api.get(f"/api/v1/persons/{path_id}")
    assert response.status_code in (404, 422)
    assert "error" in response.json()


def test_persian_digits_in_ids(api, agent, make_person):
    person = make_person(agent)
    persian_id = str(person.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    response = api.get(f"/api/v1/persons/{persian_id}")
    assert response.status_code == 200 and response.json()["id"] == person.pk


def test_csv_formula_text_is_kept_as_typed(api):
    response = api.post("/api/v1/persons", {"last_name": '=HYPERLINK("http://x")'})
    assert response.status_code == 201
    assert response.json()["last_name"] == '=HYPERLINK("http://x")'


def test_viewer_cannot_write_even_with_bad_input(api_as, viewer):
    response = api_as(viewer).post("/api/v1/persons", {"last_name": "", "phones": ["1"]})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("path", ["/api/v1/persons", "/api/v1/organizations", "/api/v1/activities"])
def test_a_list_page_costs_the_same_queries_for_3_or_30_rows(api, agent, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from peyvand.activities.services import create_activity

    def add(n):
        for i in range(n):
            org = services.create_organization(
                agent, {"name": f"شرکت {i}", "phones": ["02188776655"]}
            )
            person = services.create_person(
                agent,
                {
                    "last_name": f"نفر {i}",
                    "phones": ["09121234567"],
                    "emails": [f"p{i}@example.com"],
                    "addresses": [{"province": 8, "line": "آزادی"}],
                    "organizations": [org.pk],
                    "consents": [{"channel": "sms", "granted": True}],
                },
                allow_duplicate=True,  # one phone for all: near-identical on purpose
            )
            create_activity(agent, {"kind": "note", "subject": "x", "person": person.pk})

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert api.get(f"{path}?limit=50").status_code == 200
        return len(captured)

    add(3)
    queries()  # the first call also stamps the token's last use
    few = queries()
    add(27)
    assert queries() == few


def test_a_body_over_the_upload_limit_is_413_with_an_idempotency_key(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(
        "/api/v1/persons", {"last_name": "x" * 2000}, headers={"Idempotency-Key": "big-1"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert Person.all_objects.count() == 0
