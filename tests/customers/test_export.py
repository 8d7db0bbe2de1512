"""Exports: the list as filtered, chosen columns, visibility, neutralised formulas."""

import csv
import io

import pytest
from openpyxl import load_workbook

from peyvand.customers import services


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel needs the BOM to read Persian
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def people(agent, other_agent, make_person):
    tag = services.create_tag(agent, name="ویژه")
    return {
        "vip": make_person(
            agent, first_name="علی", last_name="کریمی", phones=["09121234567"], tags=[tag.pk]
        ),
        "formula": make_person(agent, first_name='=HYPERLINK("http://x")', last_name="+SUM(A1)"),
        "hidden": make_person(other_agent, first_name="پنهان", last_name="دیگری"),
    }


def test_csv_export_of_the_filtered_list_with_chosen_columns(agent, web_as, people):
    response = web_as(agent).get(
        "/customers/people/export/",
        {
            "format": "csv",
            "tag": people["vip"].tags.get().pk,
            "columns": ["last_name", "phones", "tags"],
        },
    )
    assert response.status_code == 200
    assert response.streaming  # rows are written as they are read
    assert 'filename="people-' in response["Content-Disposition"]
    header, *rows = _csv(response)
    assert len(header) == 3
    assert rows == [["کریمی", "0912 123 4567", "ویژه"]]


def test_formulas_are_neutralised_and_other_teams_records_left_out(agent, web_as, people):
    response = web_as(agent).get("/customers/people/export/", {"format": "csv"})
    rows = _csv(response)[1:]
    names = {(row[0], row[1]) for row in rows}
    assert ('\'=HYPERLINK("http://x")', "'+SUM(A1)") in names
    assert not any("دیگری" in cell for row in rows for cell in row)


def test_xlsx_export_opens_right_to_left_with_text_cells(agent, api_as, people):
    response = api_as(agent).get("/api/v1/persons/export?format=xlsx&columns=first_name,last_name")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ['\'=HYPERLINK("http://x")', "'+SUM(A1)"] in values
    assert ["علی", "کریمی"] in values
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.sheet_view.rightToLeft


@pytest.mark.parametrize(
    "query",
    [{"format": "pdf"}, {"format": "csv", "columns": "password"}, {"format": "csv", "tag": "۱x"}],
)
def test_bad_export_requests_get_a_clear_error(agent, api_as, web_as, people, query):
    api_response = api_as(agent).get(
        "/api/v1/persons/export?" + "&".join(f"{k}={v}" for k, v in query.items())
    )
    assert api_response.status_code == 422
    assert api_response.json()["error"]["fields"]
    page = web_as(agent).get("/customers/people/export/", query, follow=True)
    assert page.status_code == 200
    assert 'class="alert alert-danger"' in page.content.decode()


def test_custom_fields_are_columns(admin, agent, api_as, make_person):
    services.create_custom_field(
        admin,
        {
            "entity": "person",
            "key": "level",
            "label": "سطح",
            "field_type": "choice",
            "choices": ["طلایی"],
        },
    )
    make_person(agent, last_name="کریمی", custom={"level": "طلایی"})
    response = api_as(agent).get("/api/v1/persons/export?format=csv&columns=last_name,cf_level")
    header, row = _csv(response)
    assert header[1] == "سطح"
    assert row == ["کریمی", "طلایی"]
