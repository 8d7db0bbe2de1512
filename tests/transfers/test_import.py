"""Importing people: validation per row, duplicates and policies, re-runs, resume, cancel, undo."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from peyvand.core.models import AuditEvent
from peyvand.customers.models import Organization, Person
from peyvand.transfers import importer, services
from peyvand.transfers.models import ImportJob

HEADER = "نام,نام خانوادگی,تلفن همراه,ایمیل,کد ملی,شرکت,تاریخ تولد,برچسب"


def upload(text: str, name="people.csv", encoding="utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def run_import(actor, text, *, policy="skip", tags=(), name="people.csv", encoding="utf-8"):
    job = services.create_import(actor, upload(text, name, encoding))
    services.configure(actor, job, columns=job.mapping, policy=policy, tags=list(tags))
    job.status = ImportJob.Status.QUEUED
    job.save()
    return services.run(job)


def report(job) -> list[list[str]]:
    from django.utils import translation

    from peyvand.transfers.selectors import rejected_report

    with translation.override("fa"):
        text = b"".join(rejected_report(job).streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


GOOD = "\n".join(
    [
        HEADER,
        "علی,کریمی,۰۹۱۲۱۲۳۴۵۶۷,Ali@Example.com,0013542419,شرکت آلفا,1370/05/12,مشتری ویژه",
        "مریم,احمدی,+989351112233,,,شرکت آلفا,,",
        "رضا,رضایی,,reza@example.com,,,,",
    ]
)


def test_good_rows_become_people_with_their_contacts_organisation_tags_and_audit(agent):
    job = run_import(agent, GOOD, tags=["نمایشگاه ۱۴۰۵"])

    assert job.status == ImportJob.Status.DONE
    assert (job.created_count, job.rejected_count, job.skipped_count) == (3, 0, 0)
    ali = Person.objects.get(last_name="کریمی")
    assert ali.phones.get().number == "+989121234567"  # Persian digits, normalised
    assert ali.emails.get().address == "ali@example.com"
    assert ali.birthday.isoformat() == "1991-08-03"  # Jalali 1370/05/12
    assert ali.owner == agent and ali.team_id == agent.primary_team.pk
    assert {t.name for t in ali.tags.all()} == {"مشتری ویژه", "نمایشگاه ۱۴۰۵"}
    alpha = Organization.objects.get(name="شرکت آلفا")  # created once, shared by two rows
    assert set(alpha.people.values_list("last_name", flat=True)) == {"کریمی", "احمدی"}
    assert AuditEvent.objects.filter(object_id=ali.pk, action="create").exists()
    # The import wrote the same search keys a form would: search finds the row by phone.
    assert "989121234567" in ali.search_text and "شرکت الفا" in ali.search_text


def test_bad_rows_are_reported_with_row_column_and_reason_and_good_rows_kept(agent):
    text = "\n".join(
        [
            HEADER,
            "علی,کریمی,09121234567,,,,,",
            "بدون,,09121234568,,,,,",  # no last name
            "سارا,نوری,12345,,,,,",  # not a phone number
            "نیما,صادقی,,not-an-email,0000000000,,1500/01/01,",  # bad e-mail, ID, date
            '<script>alert(1)</script>,=HYPERLINK("http://x"),,,,,,',
        ]
    )
    job = run_import(agent, text)

    assert job.created_count == 2  # the first row and the (inert) payload row
    assert job.rejected_count == 3
    rows = report(job)
    assert rows[0] == ["ردیف", "ستون", "دلیل"]  # in the user's language (Persian)
    by_row = {}
    for number, column, reason in rows[1:]:
        by_row.setdefault(number, []).append((column, reason))
    assert [c for c, _r in by_row["3"]] == ["نام خانوادگی"]
    assert [c for c, _r in by_row["4"]] == ["تلفن همراه"]
    assert {c for c, _r in by_row["5"]} == {"ایمیل", "کد ملی", "تاریخ تولد"}
    payload = Person.objects.get(first_name="<script>alert(1)</script>")
    assert payload.last_name == '=HYPERLINK("http://x")'  # stored as typed, escaped on output


def test_a_report_cell_that_looks_like_a_formula_is_neutralised(agent):
    text = "نام خانوادگی,=cmd|' /C calc'!A0\nکریمی,x\n"
    job = services.create_import(agent, upload(text))
    services.configure(agent, job, columns=["last_name", "national_id"])
    job.status = ImportJob.Status.QUEUED
    job.save()
    job = services.run(job)
    assert report(job)[1][1].startswith("'=")


def test_rows_repeating_each_other_in_the_file_make_one_person(agent):
    text = "\n".join(
        [
            HEADER,
            "علی,کریمی,09121234567,,,,,",
            "علي,كريمي,+98 912 123 4567,ali@example.com,,,,",  # Arabic letters, other format
        ]
    )
    job = run_import(agent, text, policy="fill_empty")
    assert Person.objects.count() == 1
    assert Person.objects.get().emails.get().address == "ali@example.com"
    assert job.created_count == 1


@pytest.mark.parametrize(
    ("policy", "first_name", "national_id", "phones"),
    [
        ("skip", "علی", "", {"+989121234567"}),
        ("fill_empty", "علی", "0013542419", {"+989121234567", "+989351112233"}),
        ("overwrite", "علیرضا", "0013542419", {"+989121234567", "+989351112233"}),
    ],
)
def test_duplicate_policy_decides_what_happens_to_existing_people(
    agent, make_person, policy, first_name, national_id, phones
):
    person = make_person(agent, first_name="علی", last_name="کریمی", phones=["09121234567"])
    text = (
        "نام,نام خانوادگی,کد ملی,موبایل,تلفن همراه\n"
        "علیرضا,کریمی,0013542419,09121234567,09351112233\n"
    )
    job = run_import(agent, text, policy=policy)

    person.refresh_from_db()
    assert Person.objects.count() == 1
    assert (person.first_name, person.national_id) == (first_name, national_id)
    assert set(person.phones.values_list("number", flat=True)) == phones
    assert job.skipped_count == (1 if policy == "skip" else 0)
    assert job.updated_count == (0 if policy == "skip" else 1)


def test_running_the_same_file_again_creates_nothing_new(agent):
    text = GOOD + "\nبی‌نام,بی‌شماره,,,,,,\n"  # a row without phone, e-mail or ID
    run_import(agent, text)
    again = run_import(agent, text)
    assert Person.objects.count() == 4
    assert again.created_count == 0 and again.skipped_count == 4


def test_undo_trashes_created_people_and_reverts_updates(agent, make_person):
    existing = make_person(agent, first_name="", last_name="کریمی", phones=["09121234567"])
    job = run_import(agent, GOOD, policy="fill_empty")
    assert job.updated_count == 1 and job.created_count == 2
    existing.refresh_from_db()
    assert existing.first_name == "علی"

    job = services.request_undo(agent, job)
    assert job.status == ImportJob.Status.UNDOING
    job = services.undo(job)

    assert job.status == ImportJob.Status.UNDONE
    existing.refresh_from_db()
    assert existing.first_name == "" and existing.emails.count() == 0
    assert set(Person.objects.values_list("pk", flat=True)) == {existing.pk}
    assert Person.trashed.count() == 2
    assert Organization.trashed.filter(name="شرکت آلفا").exists()
    # Undone rows are no longer "already imported": importing again brings them back.
    assert run_import(agent, GOOD).created_count == 2


def _rows(count: int) -> str:
    lines = ["نام خانوادگی,موبایل"]
    lines += [f"نفر{i},0912{i:07d}" for i in range(count)]
    return "\n".join(lines)


def test_an_interrupted_import_resumes_after_its_last_chunk(agent, settings, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 10)
    settings.PEYVAND = {**settings.PEYVAND, "IMPORT_STALE_SECONDS": 0}
    job = services.create_import(agent, upload(_rows(35)))
    services.configure(agent, job, columns=job.mapping)
    job.status = ImportJob.Status.QUEUED
    job.save()

    class WorkerDied(Exception):
        pass

    def die_after_two_chunks(current):
        if current.processed_rows == 20:
            raise WorkerDied

    with pytest.raises(WorkerDied):
        services.run(job, progress=die_after_two_chunks)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and job.processed_rows == 20
    assert list(importer.interrupted_jobs()) == [job]

    job = services.run(job)
    assert job.status == ImportJob.Status.DONE
    assert Person.objects.count() == 35 and job.created_count == 35


def test_a_running_import_is_not_taken_by_a_second_worker(agent):
    job = services.create_import(agent, upload(_rows(3)))
    services.configure(agent, job, columns=job.mapping)
    job.status = ImportJob.Status.QUEUED
    job.save()
    assert importer.claim(job)
    assert not importer.claim(ImportJob.objects.get(pk=job.pk))  # heartbeat is fresh


def test_cancel_stops_after_the_current_chunk(agent, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 10)
    job = services.create_import(agent, upload(_rows(50)))
    services.configure(agent, job, columns=job.mapping)
    job.status = ImportJob.Status.QUEUED
    job.save()

    def cancel_after_first_chunk(current):
        if current.processed_rows == 10 and current.status == ImportJob.Status.RUNNING:
            services.cancel(agent, current)

    job = services.run(job, progress=cancel_after_first_chunk)
    assert job.status == ImportJob.Status.CANCELLED
    assert Person.objects.count() == 10


def test_a_row_matching_another_teams_person_is_rejected_and_that_person_untouched(
    agent, other_agent, make_person
):
    hidden = make_person(other_agent, first_name="", last_name="پنهان", phones=["09121234567"])
    job = run_import(agent, "نام,نام خانوادگی,موبایل\nعلی,کریمی,09121234567\n", policy="overwrite")
    hidden.refresh_from_db()
    assert hidden.first_name == "" and hidden.last_name == "پنهان"
    assert job.rejected_count == 1 and Person.objects.count() == 1
    assert "اجازه" in report(job)[1][2] or "may not" in report(job)[1][2]


def test_windows_1256_csv_is_read_with_persian_letters(agent):
    # Windows-1256 has no Persian ye: such files carry the Arabic one (and Arabic kaf).
    arabic = GOOD.replace("ی", "ي").replace("ک", "ك").replace("۰۹۱۲۱۲۳۴۵۶۷", "09121234567")
    job = run_import(agent, arabic, encoding="cp1256")
    assert job.encoding == "cp1256"
    assert Person.objects.filter(last_name="کریمی", first_name="علی").exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01\x02\xff\xfe" * 50, b"PK\x03\x04 not really a zip"],
    ids=["empty", "garbage", "broken-xlsx"],
)
def test_unreadable_files_are_refused_with_a_message(agent, content):
    with pytest.raises(Exception) as caught:
        services.create_import(agent, SimpleUploadedFile("x.csv", content))
    assert "file" in caught.value.message_dict
    assert ImportJob.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused(agent, settings):
    settings.PEYVAND = {**settings.PEYVAND, "IMPORT_MAX_BYTES": 100}
    with pytest.raises(Exception) as caught:
        services.create_import(agent, upload(GOOD))
    assert "file" in caught.value.message_dict


def test_a_viewer_cannot_import(viewer):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.create_import(viewer, upload(GOOD))


@pytest.mark.parametrize(
    "columns",
    [["first_name"], ["last_name", "last_name", "", "", "", "", "", ""], ["bogus"] * 8],
    ids=["wrong-length", "twice", "unknown"],
)
def test_bad_mappings_are_refused(agent, columns):
    job = services.create_import(agent, upload(GOOD))
    with pytest.raises(Exception) as caught:
        services.configure(agent, job, columns=columns)
    assert caught.value.messages
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRAFT and job.mapping != columns


def test_preview_shows_rows_as_stored_and_reasons_for_rejects(agent):
    from django.utils import translation

    job = services.create_import(agent, upload(GOOD + "\nبدون,,12,,,,,\n"))
    with translation.override("fa"):
        rows = services.preview(job)
    assert rows[0].values["نام خانوادگی"] == "کریمی"
    assert "+989121234567" in rows[0].values["تلفن‌ها"]
    assert {column for column, _m in rows[3].errors} == {"نام خانوادگی", "تلفن همراه"}
    assert Person.objects.count() == 0  # a preview saves nothing


def test_a_similar_name_in_the_same_organisation_is_the_same_person(
    agent, make_person, make_organization
):
    alpha = make_organization(agent, name="شرکت آلفا")
    ali = make_person(agent, first_name="علی", last_name="کریمی", organizations=[alpha.pk])
    text = "\n".join(
        [
            "نام,نام خانوادگی,شرکت,ایمیل",
            "كريمي,علي,شركت آلفا,ali@example.com",  # swapped, Arabic letters
            "رضا,کریمی,شرکت آلفا,",  # another person of the same company
            "علی,کریمی,شرکت بتا,",  # the same name elsewhere is someone else
        ]
    )
    job = run_import(agent, text, policy="fill_empty")

    assert (job.updated_count, job.created_count) == (1, 2)
    assert ali.emails.get().address == "ali@example.com"
    assert Person.objects.filter(last_name="کریمی").count() == 3


def test_an_xlsx_file_is_read_on_its_chosen_sheet(agent, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["راهنما"])
    sheet = book.create_sheet("مشتریان")
    sheet.append(["نام", "نام خانوادگی", "تلفن همراه"])
    sheet.append(["علی", "کریمی", 9121234567])
    book.save(tmp_path / "book.xlsx")
    upload = SimpleUploadedFile("مشتریان.xlsx", (tmp_path / "book.xlsx").read_bytes())
    job = services.create_import(agent, upload)
    assert services.sheets(job) == ["Sheet", "مشتریان"]
    job = services.choose_sheet(agent, job, "مشتریان")
    assert job.mapping == ["first_name", "last_name", "phone_mobile"]
    services.configure(agent, job, columns=job.mapping)
    job.status = ImportJob.Status.QUEUED
    job.save()
    assert services.run(job).created_count == 1
    assert Person.objects.get().phones.get().number == "+989121234567"


def test_the_timeline_says_which_file_a_person_came_from(agent, web_as):
    run_import(agent, GOOD, name="مشتریان-نمایشگاه.csv")
    ali = Person.objects.get(last_name="کریمی")
    page = web_as(agent).get(f"/customers/people/{ali.pk}/").content.decode()
    assert "مشتریان-نمایشگاه.csv" in page and "وارد شده از فایل" in page


def test_old_import_files_are_purged_but_the_job_and_its_report_stay(agent, settings):
    from datetime import timedelta
    from pathlib import Path

    from django.utils import timezone

    done = run_import(agent, GOOD + "\nبدون,,12,,,,,\n")
    draft = services.create_import(agent, upload(GOOD))
    recent = run_import(agent, GOOD, name="recent.csv")
    paths = [Path(job.file.path) for job in (done, draft, recent)]
    old = timezone.now() - timedelta(days=settings.PEYVAND["IMPORT_FILE_RETENTION_DAYS"] + 1)
    ImportJob.objects.filter(pk=done.pk).update(finished_at=old)
    ImportJob.objects.filter(pk=draft.pk).update(created_at=old)

    assert services.purge_old_files() == 2

    assert not paths[0].exists() and not paths[1].exists() and paths[2].exists()
    assert not ImportJob.objects.filter(pk=draft.pk).exists()
    done.refresh_from_db()
    assert not done.file and done.created_count == 3
    assert len(report(done)) == 3  # header + the bad row's two reasons
