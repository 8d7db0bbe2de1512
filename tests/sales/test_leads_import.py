"""Importing leads from a file: recognised columns, rules and scores applied, bad rows
reported with their number, good rows kept."""

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from peyvand.accounts.models import Role
from peyvand.sales import leads, scoring
from peyvand.sales.lead_import import import_leads
from peyvand.sales.models import Lead
from tests.sales import leads_fixtures
from tests.sales.leads_fixtures import TEHRAN

product = leads_fixtures.product

CSV = (
    "نام,نام خانوادگی,موبایل,ایمیل,شرکت,استان,منبع,کمپین,utm_source,محصول\n"
    "علی,کریمی,۰۹۱۲۱۲۳۴۵۶۷,Ali@Example.com,شرکت آلفا,تهران,نمایشگاه,بهار,google,CRM-1\n"
    "مریم,,09350000000,,,,,,,\n"
    "سارا,نوری,12,not-mail,,,,,,\n"
    "نیما,صادقی,09121112244,,,استان اصفهان,,,,\n"
)


def test_a_csv_becomes_leads_assigned_and_scored(
    tmp_path, agent, manager, make_user, team_a, product
):
    seller = make_user(Role.AGENT, [team_a])
    leads.create_assignment_rule(
        manager,
        {
            "name": "تهران",
            "province": TEHRAN,
            "method": "user",
            "assignee": seller.pk,
            "team": team_a.pk,
        },
    )
    scoring.create_rule(
        manager, {"label": "نمایشگاه", "attribute": "source", "value": "exhibition", "points": 20}
    )
    path = tmp_path / "سرنخ‌ها.csv"
    path.write_text(CSV, encoding="utf-8")
    report = import_leads(agent, path)
    assert len(report.created) == 2
    assert report.rejected_rows == 2
    problems = {(row, column) for row, column, _message in report.problems}
    assert problems == {(3, "نام خانوادگی"), (4, "موبایل"), (4, "ایمیل")}
    ali = Lead.objects.get(last_name="کریمی")
    assert (ali.phone, ali.email, ali.company) == ("+989121234567", "ali@example.com", "شرکت آلفا")
    assert (ali.province_id, ali.source, ali.utm_campaign, ali.utm_source) == (
        TEHRAN,
        "exhibition",
        "بهار",
        "google",
    )
    assert ali.product_interest == product
    assert (ali.owner, ali.score) == (seller, 20)  # the rule for Tehran, the exhibition points
    nima = Lead.objects.get(last_name="صادقی")
    assert (nima.owner, nima.source, nima.province.name) == (agent, "import", "اصفهان")


def test_windows_1256_and_xlsx(tmp_path, agent):
    csv_path = tmp_path / "leads.csv"
    csv_path.write_bytes(
        "نام و نام خانوادگی,تلفن همراه\nسارا نوری,09121112233\n".replace("ی", "ي")
        .replace("ک", "ك")
        .encode("cp1256")
    )
    assert len(import_leads(agent, csv_path).created) == 1
    assert Lead.objects.get().last_name == "نوری"

    book = Workbook()
    book.active.append(["Last Name", "Email", "Campaign"])
    book.active.append(["Smith", "s@example.com", "autumn"])
    xlsx = tmp_path / "leads.xlsx"
    book.save(xlsx)
    assert len(import_leads(agent, xlsx).created) == 1
    assert Lead.objects.get(last_name="Smith").utm_campaign == "autumn"


def test_the_command(tmp_path, agent, viewer, product):
    path = tmp_path / "leads.csv"
    path.write_text(CSV, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_leads", str(path), user=agent.email, stdout=out, stderr=err)
    assert "2 leads imported, 2 rows rejected" in out.getvalue()
    assert "row 4, موبایل:" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("import_leads", str(path), user=viewer.email, stdout=out, stderr=err)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CommandError):
        call_command("import_leads", str(empty), user=agent.email, stdout=out, stderr=err)
    assert Lead.objects.count() == 2
