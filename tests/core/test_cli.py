"""The `peyvand` command: accounts, tokens, the first administrator, and the supervisor."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connections

from peyvand import cli
from peyvand.accounts.models import Role, User
from peyvand.accounts.services import authenticate_token
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch):
    # Django's command runner closes every connection when it ends; inside a test that
    # would close the connection holding the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)


def peyvand(*argv):
    """Run ``peyvand argv…`` in-process; the exit code (0 when it returned normally)."""
    try:
        return cli.main(list(argv))
    except SystemExit as exc:
        return exc.code


def test_createadmin_creates_an_administrator_who_can_log_in(db, capsys):
    code = peyvand("createadmin", "--email", "Boss@Example.COM", "--password", PASSWORD)

    assert code == 0
    user = User.objects.get(email="boss@example.com")
    assert user.role == Role.ADMIN
    assert user.check_password(PASSWORD)
    assert "boss@example.com" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("not-an-email", PASSWORD, "email"),
        ("<script>alert(1)</script>@x", PASSWORD, "email"),
        ("a" * 10_000_000 + "@example.com", PASSWORD, "email"),
        ("ok@example.com", "123", "password"),
    ],
)
def test_createadmin_with_bad_input_fails_clearly_and_creates_nothing(
    db, capsys, email, password, field
):
    code = peyvand("createadmin", "--email", email, "--password", password)

    assert code not in (0, None)
    assert field in capsys.readouterr().err
    assert not User.objects.exists()


def test_createadmin_refuses_a_second_account_with_the_same_email(db, capsys):
    assert peyvand("createadmin", "--email", "a@example.com", "--password", PASSWORD) == 0
    code = peyvand("createadmin", "--email", "A@example.com", "--password", PASSWORD)

    assert code not in (0, None)
    assert "email" in capsys.readouterr().err
    assert User.objects.count() == 1


def test_token_create_prints_a_token_that_authenticates(agent, capsys):
    assert peyvand("token", "create", "--email", agent.email.upper()) == 0

    raw = capsys.readouterr().out.strip()
    assert authenticate_token(raw) == agent
    assert authenticate_token(raw + "x") is None


def test_each_token_create_prints_a_new_token(agent, capsys):
    peyvand("token", "create", "--email", agent.email)
    peyvand("token", "create", "--email", agent.email)

    first, second = capsys.readouterr().out.split()
    assert first != second
    assert authenticate_token(first) == authenticate_token(second) == agent


def test_token_create_for_an_unknown_email_fails(db, capsys):
    code = peyvand("token", "create", "--email", "nobody@example.com")

    captured = capsys.readouterr()
    assert code not in (0, None)
    assert "nobody@example.com" in captured.err
    assert captured.out == ""


def test_token_create_for_a_deactivated_user_fails(agent, capsys):
    agent.is_active = False
    agent.save()

    assert peyvand("token", "create", "--email", agent.email) not in (0, None)


def test_unknown_words_fall_through_to_django(db, capsys):
    assert peyvand("no-such-command") not in (0, None)
    assert "no-such-command" in capsys.readouterr().err


def test_ensureadmin_creates_the_first_admin_with_a_password_shown_once(db, capsys, monkeypatch):
    monkeypatch.setenv("PEYVAND_ADMIN_EMAIL", "owner@example.com")
    monkeypatch.delenv("PEYVAND_ADMIN_PASSWORD", raising=False)

    assert peyvand("ensureadmin") == 0

    admin = User.objects.get()
    assert admin.email == "owner@example.com" and admin.role == Role.ADMIN
    printed_password = capsys.readouterr().out.split()[-1]
    assert admin.check_password(printed_password)

    assert peyvand("ensureadmin") == 0
    assert User.objects.count() == 1
    assert capsys.readouterr().out == ""


def test_ensureadmin_takes_the_password_from_the_environment_and_never_prints_it(
    db, capsys, monkeypatch
):
    monkeypatch.setenv("PEYVAND_ADMIN_EMAIL", "owner@example.com")
    monkeypatch.setenv("PEYVAND_ADMIN_PASSWORD", PASSWORD)

    assert peyvand("ensureadmin") == 0

    assert User.objects.get().check_password(PASSWORD)
    assert PASSWORD not in capsys.readouterr().out


def test_ensureadmin_does_nothing_when_a_user_exists(agent, monkeypatch):
    monkeypatch.setenv("PEYVAND_ADMIN_EMAIL", "owner@example.com")

    assert peyvand("ensureadmin") == 0
    assert not User.objects.filter(role=Role.ADMIN).exists()


# ---- the run supervisor ------------------------------------------------------------------


def _python(code):
    return [sys.executable, "-c", code]


def test_supervisor_stops_everything_when_one_child_dies():
    started = time.monotonic()

    code = cli.supervise(
        [_python("import time; time.sleep(60)"), _python("import sys; sys.exit(3)")],
        poll_seconds=0.05,
    )

    assert code == 3
    assert time.monotonic() - started < 10


def test_supervisor_forwards_ctrl_c_to_both_children_and_exits_cleanly(tmp_path):
    # Each child records the signal it got, so we see that both were told to stop.
    child = (
        "import signal, sys, time, pathlib\n"
        "def stop(signum, frame):\n"
        "    pathlib.Path(sys.argv[1]).write_text(str(signum)); sys.exit(0)\n"
        "signal.signal(signal.SIGINT, stop)\n"
        "pathlib.Path(sys.argv[1] + '.ready').touch()\n"
        "time.sleep(60)\n"
    )
    marks = [tmp_path / "web", tmp_path / "worker"]
    script = (
        "import sys\n"
        "from peyvand.cli import supervise\n"
        f"sys.exit(supervise([[sys.executable, '-c', {child!r}, {str(marks[0])!r}],"
        f" [sys.executable, '-c', {child!r}, {str(marks[1])!r}]], poll_seconds=0.05))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 20
    while not all(m.with_suffix(".ready").exists() for m in marks):
        assert time.monotonic() < deadline, "children did not start"
        time.sleep(0.05)

    proc.send_signal(2)  # SIGINT, what Ctrl-C sends

    assert proc.wait(timeout=20) == 0
    assert [m.read_text() for m in marks] == ["2", "2"]


def _children(pid: int) -> list[str]:
    """Command lines of the live child processes of ``pid`` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError):
            continue
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_peyvand_run_serves_the_persian_login_page_with_the_worker_and_stops_on_ctrl_c(
    tmp_path,
):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PEYVAND_VAR": str(tmp_path),
        "WEB_CONCURRENCY": "1",
    }
    peyvand_bin = [sys.executable, "-m", "peyvand.cli"]
    subprocess.run([*peyvand_bin, "migrate", "-v0"], env=env, check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen(
        [*peyvand_bin, "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        html = _wait_for_page(f"http://127.0.0.1:{port}/accounts/login/", proc)
        assert '<html lang="fa" dir="rtl">' in html
        children = " | ".join(_children(proc.pid))
        assert "gunicorn" in children and "run_huey" in children

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _children(proc.pid) == []


def _wait_for_page(url: str, proc) -> str:
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, "peyvand run exited early"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            assert time.monotonic() < deadline, f"{url} never answered"
            time.sleep(0.2)
