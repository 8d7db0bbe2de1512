"""The import API and wizard pages: the whole flow, permissions and bad input."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from peyvand.customers.models import Person
from peyvand.transfers.models import ImportJob

CSV = "نام,نام خانوادگی,موبایل\nعلی,کریمی,09121234567\nبدون,,123\n"


def _upload(api, text=CSV, name="people.csv"):
    return api.client.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile(name, text.encode())},
        headers={"Authorization": f"Bearer {api.token}"},
    )


def test_api_flow_upload_map_preview_start_report_undo(
    agent, api_as, django_capture_on_commit_callbacks
):
    api = api_as(agent)
    response = _upload(api)
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["headers"] == ["نام", "نام خانوادگی", "موبایل"]
    assert job["mapping"] == ["first_name", "last_name", "phone_mobile"]  # suggested

    response = api.put(
        f"/api/v1/imports/{job['id']}/mapping",
        {"columns": ["first_name", "last_name", "phone_mobile"], "policy": "fill_empty"},
    )
    assert response.status_code == 200 and response.json()["policy"] == "fill_empty"

    preview = api.get(f"/api/v1/imports/{job['id']}/preview").json()
    assert preview[0]["values"]["نام خانوادگی"] == "کریمی"
    assert {e["column"] for e in preview[1]["errors"]} == {"نام خانوادگی", "موبایل"}

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/imports/{job['id']}/start")
    assert response.status_code == 202
    done = api.get(f"/api/v1/imports/{job['id']}").json()
    assert (done["status"], done["created_count"], done["rejected_count"]) == ("done", 1, 1)
    assert done["progress_percent"] == 100

    report = b"".join(api.get(f"/api/v1/imports/{job['id']}/report").streaming_content)
    assert "ردیف" in report.decode() and "موبایل" in report.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/imports/{job['id']}/undo")
    assert response.status_code == 202
    assert api.get(f"/api/v1/imports/{job['id']}").json()["status"] == "undone"
    assert not Person.objects.exists()


def test_another_users_import_is_invisible(agent, other_agent, api_as, web_as):
    job = _upload(api_as(agent)).json()
    other = api_as(other_agent)
    for path in ("", "/preview", "/report"):
        assert other.get(f"/api/v1/imports/{job['id']}{path}").status_code == 404
    assert other.post(f"/api/v1/imports/{job['id']}/start").status_code == 404
    assert all(j["id"] != job["id"] for j in other.get("/api/v1/imports").json())
    assert web_as(other_agent).get(f"/transfers/imports/{job['id']}/").status_code == 404


def test_a_viewer_may_not_upload(viewer, api_as):
    assert _upload(api_as(viewer)).status_code == 403
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"columns": ["bogus", "", ""]},
        {"columns": ["last_name"]},
        {"policy": "explode"},
        {"preset": "999"},
        {"sheet": "نیست"},
    ],
)
def test_bad_mapping_requests_answer_422_and_change_nothing(agent, api_as, payload):
    api = api_as(agent)
    job = _upload(api).json()
    response = api.put(f"/api/v1/imports/{job['id']}/mapping", payload)
    assert response.status_code == 422
    assert response.json()["error"]["message"]
    assert api.get(f"/api/v1/imports/{job['id']}").json()["mapping"] == job["mapping"]


def test_garbage_upload_answers_422(agent, api_as):
    response = _upload(api_as(agent), text="\x00\x01\x02" * 100)
    assert response.status_code == 422
    assert "file" in response.json()["error"]["fields"]


def test_wizard_pages_map_preview_and_start(agent, web_as, django_capture_on_commit_callbacks):
    client = web_as(agent)
    response = client.post(
        "/transfers/imports/", {"file": SimpleUploadedFile("p.csv", CSV.encode())}
    )
    job = ImportJob.objects.get()
    assert response.url == f"/transfers/imports/{job.pk}/"
    page = client.get(response.url).content.decode()
    assert 'value="phone_mobile" selected' in page  # the suggestion is preselected

    form = {
        "column-0": "first_name",
        "column-1": "last_name",
        "column-2": "phone_mobile",
        "policy": "skip",
    }
    page = client.post(response.url, {**form, "action": "preview"}).content.decode()
    assert "import-preview" in page and "+989121234567" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {**form, "action": "start"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    page = client.get(f"/transfers/imports/{job.pk}/progress/").content.decode()
    assert 'data-status="done"' in page and "import-report" in page


def test_wizard_shows_mapping_errors_and_keeps_the_choice(agent, web_as):
    client = web_as(agent)
    client.post("/transfers/imports/", {"file": SimpleUploadedFile("p.csv", CSV.encode())})
    job = ImportJob.objects.get()
    page = client.post(
        f"/transfers/imports/{job.pk}/",
        {"column-0": "first_name", "column-1": "first_name", "column-2": "", "action": "preview"},
    ).content.decode()
    assert "alert" in page
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRAFT


def test_xss_in_headers_and_cells_is_shown_escaped(agent, web_as):
    client = web_as(agent)
    text = "<img src=x onerror=alert(1)>,نام خانوادگی\n<script>x</script>,کریمی\n"
    client.post("/transfers/imports/", {"file": SimpleUploadedFile("p.csv", text.encode())})
    job = ImportJob.objects.get()
    page = client.get(f"/transfers/imports/{job.pk}/").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert "<script>x</script>" not in page
