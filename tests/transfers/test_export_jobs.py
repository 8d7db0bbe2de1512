"""Large exports run in the worker and leave a download link; lists count no further than a limit.

A job goes to the worker when its row is committed; under test, ``worker()`` commits (runs
the on-commit hooks) at the end of its block and Huey runs the task at once.
"""

import csv
import io
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from peyvand.activities.models import Notification
from peyvand.core.bulk import insert_rows
from peyvand.customers import services
from peyvand.customers.models import LifecycleStage, Person, Phone
from peyvand.transfers import exports
from peyvand.transfers.models import ExportJob


def worker():
    """Within the block, ask for exports; at its end the worker has written them."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def start(user, *args) -> ExportJob:
    with worker():
        job = exports.start_export(user, *args)
    job.refresh_from_db()
    return job


@pytest.fixture
def small_limits(settings):
    """Two rows stream in the request; three or more go to the worker."""
    settings.PEYVAND = {**settings.PEYVAND, "EXPORT_INLINE_LIMIT": 2, "EXACT_COUNT_LIMIT": 2}


@pytest.fixture
def people(agent, other_agent, make_person):
    tag = services.create_tag(agent, name="ویژه")
    return {
        "vip": make_person(
            agent, first_name="علی", last_name="کریمی", phones=["09121234567"], tags=[tag.pk]
        ),
        "formula": make_person(
            agent, first_name='=HYPERLINK("http://x")', last_name="+SUM(A1)", tags=[tag.pk]
        ),
        "plain": make_person(agent, first_name="مریم", last_name="احمدی", tags=[tag.pk]),
        "hidden": make_person(other_agent, first_name="پنهان", last_name="دیگری"),
    }


def _csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel needs the BOM to read Persian
    return list(csv.reader(io.StringIO(text[1:])))


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


# ---- a large export becomes a job ---------------------------------------------------------


def test_a_long_list_is_written_by_the_worker_and_downloaded_from_the_exports_page(
    agent, web_as, people, small_limits
):
    client = web_as(agent)
    with worker():
        response = client.get(
            "/customers/people/export/",
            {"format": "csv", "columns": ["first_name", "last_name", "phones"]},
        )

    assert response.status_code == 302 and response["Location"] == "/exports/"
    page = client.get("/exports/").content.decode()
    assert 'class="alert alert-info"' in page  # "being prepared in the background"
    job = ExportJob.objects.get()
    assert (job.created_by, job.status, job.row_count) == (agent, ExportJob.Status.DONE, 3)
    assert f'href="/exports/{job.pk}/download/"' in page
    assert "۳" in page  # the row count, in Persian digits

    download = client.get(f"/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="people-')
    header, *rows = _csv_rows(_body(download))
    assert len(header) == 3
    assert ["علی", "کریمی", "0912 123 4567"] in rows
    assert ['\'=HYPERLINK("http://x")', "'+SUM(A1)", ""] in rows  # formulas neutralised
    assert not any("دیگری" in cell for row in rows for cell in row)  # another team's person

    note = Notification.objects.get(user=agent)
    assert "۳" in note.message


def test_a_short_list_still_streams_in_the_request(agent, web_as, people):
    response = web_as(agent).get("/customers/people/export/", {"format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert not ExportJob.objects.exists()


def test_api_job_writes_xlsx_with_the_filters_and_columns(agent, api_as, people, small_limits):
    api = api_as(agent)
    tag = people["vip"].tags.get()
    with worker():
        response = api.post(
            "/api/v1/exports",
            {
                "entity": "person",
                "format": "xlsx",
                "columns": ["first_name", "last_name"],
                "filters": {
                    "tag": str(tag.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
                },
            },
        )
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == f"/api/v1/exports/{job['id']}"
    assert (job["status"], job["download_url"]) == ("queued", None)  # the worker runs after

    job = api.get(response["Location"]).json()
    assert (job["status"], job["row_count"], job["entity"]) == ("done", 3, "person")
    assert job["download_url"] == f"/api/v1/exports/{job['id']}/download"

    download = api.get(job["download_url"])
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(_body(download)))
    sheet = workbook.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 4
    assert ['\'=HYPERLINK("http://x")', "'+SUM(A1)"] in values
    assert ["علی", "کریمی"] in values
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.sheet_view.rightToLeft


def test_api_list_export_over_the_limit_answers_202_with_a_job(agent, api_as, people, small_limits):
    with worker():
        response = api_as(agent).get("/api/v1/persons/export?format=csv&columns=last_name")
    assert response.status_code == 202, response.content
    job = ExportJob.objects.get()
    assert response.json()["id"] == job.pk
    assert (job.columns, job.row_count) == (["last_name"], 3)


def test_api_lists_only_the_callers_jobs(agent, other_agent, api_as, people):
    mine = start(agent, "person", "csv", [], {})
    start(other_agent, "organization", "csv", [], {})
    listed = api_as(agent).get("/api/v1/exports").json()["items"]
    assert [job["id"] for job in listed] == [mine.pk]


# ---- visibility and ownership -------------------------------------------------------------


def test_the_worker_applies_the_creators_visibility(agent, other_agent, people):
    job = start(other_agent, "person", "csv", ["last_name"], {})
    rows = _csv_rows(job.file.read())
    assert rows[1:] == [["دیگری"]]


def test_another_users_job_does_not_exist_for_them(
    agent, other_agent, manager, web_as, api_as, people
):
    job = start(agent, "person", "csv", [], {})
    for user in (other_agent, manager):  # a team mate's manager is no exception
        client = web_as(user)
        assert client.get(f"/exports/{job.pk}/download/").status_code == 404
        assert f"/exports/{job.pk}/download/" not in client.get("/exports/").content.decode()
        api = api_as(user)
        for path in (f"/api/v1/exports/{job.pk}", f"/api/v1/exports/{job.pk}/download"):
            response = api.get(path)
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"


def test_a_job_not_yet_done_has_no_download(agent, web_as, api_as):
    job = ExportJob.objects.create(created_by=agent, entity="person", format="csv")
    assert web_as(agent).get(f"/exports/{job.pk}/download/").status_code == 404
    assert api_as(agent).get(f"/api/v1/exports/{job.pk}").json()["download_url"] is None
    assert api_as(agent).get(f"/api/v1/exports/{job.pk}/download").status_code == 404


def test_the_exports_page_polls_while_a_job_runs(agent, web_as):
    job = ExportJob.objects.create(created_by=agent, entity="organization", format="xlsx")
    client = web_as(agent)
    page = client.get("/exports/").content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert f'id="export-{job.pk}"' in page
    assert f"/exports/{job.pk}/download/" not in page

    partial = client.get("/exports/", headers={"HX-Request": "true"}).content.decode()
    assert 'id="export-jobs"' in partial
    assert "<html" not in partial

    exports.run_export(job.pk)
    partial = client.get("/exports/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial  # finished: polling stops
    assert f"/exports/{job.pk}/download/" in partial


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"entity": "person", "columns": ["password"]}, "columns"),
        ({"entity": "person", "format": "pdf"}, "format"),
        ({"entity": "users"}, "entity"),
        ({"entity": "person", "filters": {"tag": "abc"}}, "tag"),
        ({"entity": "person", "filters": {"owner": "۱x"}}, "owner"),
        ({"entity": "person", "filters": {"tgs": "1"}}, "tgs"),
        ({"entity": "person", "filters": {"q": "ب" * 5000}}, "q"),
        ({"entity": "person", "filters": {"cf_level": "many"}}, "cf_level"),
        ({"entity": "person", "filters": {"tag": {"$gt": 1}}}, "filters.tag"),
        ({"entity": "person", "columns": "first_name"}, "columns"),
        ({"entity": "person", "columns": ["id"] * 101}, "columns"),
    ],
)
def test_bad_requests_get_a_clear_error_and_no_job(admin, agent, api_as, people, body, field):
    services.create_custom_field(
        admin, {"entity": "person", "key": "level", "label": "سطح", "field_type": "number"}
    )
    response = api_as(agent).post("/api/v1/exports", body)
    assert response.status_code == 422, response.content
    fields = response.json()["error"]["fields"]
    assert any(key == field or key.startswith(field) for key in fields), fields
    assert all(messages for messages in fields.values())
    assert not ExportJob.objects.exists()


def test_bad_ui_request_for_a_long_list_shows_the_error_and_makes_no_job(
    agent, web_as, people, small_limits
):
    with worker():
        response = web_as(agent).get("/customers/people/export/", {"format": "pdf"}, follow=True)
    assert 'class="alert alert-danger"' in response.content.decode()
    assert not ExportJob.objects.exists()


def test_a_column_gone_by_the_time_the_worker_runs_fails_the_job_clearly(agent):
    job = ExportJob.objects.create(
        created_by=agent, entity="person", format="csv", columns=["cf_removed"]
    )
    exports.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.error and not job.file
    assert Notification.objects.filter(user=agent).count() == 1
    exports.run_export(job.pk)  # a replayed message does nothing
    assert Notification.objects.filter(user=agent).count() == 1


# ---- the nightly purge --------------------------------------------------------------------


def test_old_files_are_purged_and_stuck_jobs_failed(agent, people, settings):
    settings.PEYVAND = {**settings.PEYVAND, "EXPORT_RETENTION_DAYS": 3}
    old = start(agent, "person", "csv", [], {})
    fresh = start(agent, "person", "csv", [], {})
    stuck = ExportJob.objects.create(
        created_by=agent, entity="person", format="csv", status=ExportJob.Status.RUNNING
    )
    path = old.file.path
    now = timezone.now()
    ExportJob.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=4))
    ExportJob.objects.filter(pk=stuck.pk).update(created_at=now - timedelta(hours=7))

    assert exports.purge_expired(now) == 1

    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert not Path(path).exists()
    assert ExportJob.objects.get(pk=fresh.pk).file
    stuck.refresh_from_db()
    assert stuck.status == ExportJob.Status.FAILED and stuck.error


# ---- memory and queries at scale ----------------------------------------------------------


# Columns that read the record, its owner, a choice name and two kinds of related rows.
MEMORY_COLUMNS = ["first_name", "last_name", "phones", "tags", "owner", "lifecycle_stage"]


def _bulk_people(owner, count: int, stage: str) -> None:
    team = owner.teams.first()
    people = [
        Person(
            owner=owner,
            team=team,
            first_name="نام",
            last_name=f"خانواده {i}",
            name_key=f"khanevade {stage} {i:06d}",
            lifecycle_stage=stage,
        )
        for i in range(count)
    ]
    insert_rows(Person, people)
    ids = list(Person.objects.filter(lifecycle_stage=stage).values_list("pk", flat=True))
    insert_rows(Phone, [Phone(person_id=pk, number=f"+98912{pk:07d}") for pk in ids])


def _export_peak(user, filters: dict) -> tuple[ExportJob, int]:
    tracemalloc.start()
    try:
        job = start(user, "person", "csv", MEMORY_COLUMNS, filters)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return job, peak


def test_an_export_ten_times_longer_does_not_take_ten_times_the_memory(agent):
    _bulk_people(agent, 3_000, LifecycleStage.CUSTOMER)
    _bulk_people(agent, 27_000, LifecycleStage.LEAD)
    # Caches filled on first use (translations, compiled queries) are not the export's.
    start(agent, "person", "csv", MEMORY_COLUMNS, {"q": "نبود"})

    small, small_peak = _export_peak(agent, {"stage": "customer"})
    large, large_peak = _export_peak(agent, {})

    assert (small.row_count, large.row_count) == (3_000, 30_000)
    assert large.file.size > 9 * small.file.size
    # Holding the rows would grow the peak about tenfold; reading CHUNK records at a time
    # (with their related rows) keeps it flat.
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)


def _queries_of_an_export(user) -> int:
    with CaptureQueriesContext(connection) as queries:
        start(user, "person", "xlsx", [], {})
    return len(queries)


def test_an_export_costs_a_fixed_number_of_queries_not_one_per_row(agent, people):
    few = _queries_of_an_export(agent)
    _bulk_people(agent, 500, LifecycleStage.LEAD)
    assert _queries_of_an_export(agent) == few


# ---- counts past a limit ------------------------------------------------------------------


PEOPLE_COUNT = 'SELECT COUNT(*) FROM (SELECT "customers_person"'


def _result_count(page: str) -> str:
    return page.split('id="result-count">', 1)[1].split("</p>", 1)[0]


def test_lists_count_exactly_up_to_the_limit_then_say_more_than(
    agent, make_user, team_a, web_as, api_as, people, settings
):
    settings.PEYVAND = {**settings.PEYVAND, "EXACT_COUNT_LIMIT": 5}
    reader = make_user(teams=[team_a], language="en")
    client, api = web_as(reader), api_as(reader)
    assert _result_count(client.get("/customers/people/").content.decode()) == "3 results"
    assert "۳" in _result_count(web_as(agent).get("/customers/people/").content.decode())
    body = api.get("/api/v1/persons").json()
    assert (body["count"], body["count_is_exact"]) == (3, True)

    settings.PEYVAND = {**settings.PEYVAND, "EXACT_COUNT_LIMIT": 2}
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/customers/people/").content.decode()
    # Read before the next request: Django clears its query log when a request starts.
    counts = [q["sql"] for q in queries if q["sql"].startswith(PEOPLE_COUNT)]
    assert counts and all("LIMIT 3" in sql for sql in counts), counts
    assert _result_count(page) == "More than 2 results"
    assert "۲" in _result_count(web_as(agent).get("/customers/people/").content.decode())
    body = api.get("/api/v1/persons").json()
    assert (body["count"], body["count_is_exact"]) == (2, False)

    filtered = api.get(f"/api/v1/persons?tag={people['vip'].tags.get().pk}&q=علی").json()
    assert (filtered["count"], filtered["count_is_exact"]) == (1, True)
