"""``peyvand import FILE``: the same import from the command line, with a progress bar."""

import io

import pytest
from django.core.management import CommandError, call_command

from peyvand.customers.models import Person
from peyvand.transfers.models import ImportJob

CSV = "نام,نام خانوادگی,موبایل,رده\nعلی,کریمی,09121234567,طلایی\nبدون,,123,\n"


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_from_the_command_line_maps_by_headers_and_reports_counts(agent, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(CSV, encoding="utf-8")
    out, err = _run(str(path), "--user", agent.email, "--map", "رده=", "--tag", "نمایشگاه")

    assert "1 new" in out and "1 rejected" in out
    assert "100%" in err  # the progress bar reached the end
    person = Person.objects.get()
    assert person.phones.get().number == "+989121234567"
    assert list(person.tags.values_list("name", flat=True)) == ["نمایشگاه"]
    assert ImportJob.objects.get().status == ImportJob.Status.DONE


def test_preview_saves_nothing(agent, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(CSV, encoding="utf-8")
    out, _err = _run(str(path), "--user", agent.email, "--preview")
    assert "موبایل -> phone_mobile" in out and "row 3: rejected" in out
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody@example.com"], "no active user"),
        (["--user", "{agent}", "--map", "نیست=last_name"], "no column named"),
        (["--user", "{agent}", "--policy", "skip", "--preset", "999"], "preset"),
    ],
)
def test_bad_arguments_stop_with_a_message(agent, tmp_path, args, message):
    path = tmp_path / "people.csv"
    path.write_text(CSV, encoding="utf-8")
    args = [a.replace("{agent}", agent.email) for a in args]
    with pytest.raises(CommandError, match=message):
        _run(str(path), *args)
    assert not Person.objects.exists()


def test_a_missing_file_is_an_error(agent):
    with pytest.raises(CommandError, match="No such file"):
        _run("/nonexistent.csv", "--user", agent.email)
