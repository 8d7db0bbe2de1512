"""A 100,000-row import survives SIGKILL of its worker: every good row ends up stored once."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROWS = 100_000
BAD_EVERY = 1000  # every 1000th row has a phone number that is not one

SETUP = """
from django.core.files import File
from peyvand.accounts.services import create_user
from peyvand.transfers import services

agent = create_user(None, email="agent@example.com", password="a-Strong-passw0rd!", role="agent")
with open({path!r}, "rb") as handle:
    job = services.create_import(agent, File(handle, name="big.csv"))
services.configure(agent, job, columns=job.mapping)
services.start(agent, job)  # queued for the worker
"""


def _write_csv(path: Path) -> int:
    good = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("نام,نام خانوادگی,تلفن همراه\n")
        for i in range(ROWS):
            if i % BAD_EVERY == 7:
                out.write(f"نفر,بد{i},12{i}\n")
            else:
                out.write(f"نفر,شماره{i},0912{i:07d}\n")
                good += 1
    return good


def _query(db: Path, sql: str):
    with sqlite3.connect(db, timeout=30) as connection:
        return connection.execute(sql).fetchone()


def _worker(env):
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_huey", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_import_killed_mid_way_resumes_and_imports_every_good_row_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        PEYVAND_VAR=str(tmp_path),
        PEYVAND_TESTING="0",
        PYTHONPATH=str(ROOT / "src"),
        PEYVAND_IMPORT_STALE_SECONDS="2",
    )
    csv_path = tmp_path / "big.csv"
    good = _write_csv(csv_path)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, timeout=300)
    subprocess.run(
        [*manage, "shell", "--no-imports", "-c", SETUP.format(path=str(csv_path))],
        env=env,
        check=True,
        timeout=300,
    )
    db = tmp_path / "peyvand.sqlite3"
    progress = "SELECT status, processed_rows FROM transfers_importjob"

    worker = _worker(env)
    try:
        assert _wait_for(lambda: _query(db, progress)[1] >= ROWS // 4, timeout=600)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    status, processed = _query(db, progress)
    assert status == "running" and processed < ROWS  # killed in the middle

    time.sleep(2.5)  # past the heartbeat limit: the next worker takes the import over
    worker = _worker(env)
    try:
        assert _wait_for(lambda: _query(db, progress)[0] == "done", timeout=600)
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    people = _query(db, "SELECT COUNT(*), COUNT(DISTINCT last_name) FROM customers_person")
    assert people == (good, good)
    phones = _query(db, "SELECT COUNT(*), COUNT(DISTINCT number) FROM customers_phone")
    assert phones == (good, good)
    counts = _query(
        db, "SELECT processed_rows, created_count, rejected_count FROM transfers_importjob"
    )
    assert counts == (ROWS, good, ROWS - good)
