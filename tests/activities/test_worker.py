"""The real Huey worker, in its own process, delivers due follow-up notifications."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
from datetime import timedelta
from django.utils import timezone
from peyvand.accounts.services import create_user
from peyvand.activities import services as activities, tasks
from peyvand.customers.services import create_person

agent = create_user(None, email="agent@example.com", password="a-Strong-passw0rd!", role="agent")
person = create_person(agent, {"last_name": "کریمی"})
task = activities.create_activity(agent, {
    "kind": "task", "person": person.pk, "subject": "تماس دوباره",
    "due_at": timezone.now() + timedelta(minutes=1),
})
type(task).objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(minutes=1))
tasks.notify_due_followups()  # enqueue; only the worker runs it
"""

COUNT = """
from peyvand.activities.models import Notification
print(Notification.objects.filter(user__email="agent@example.com").count())
"""


def _manage(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    ).stdout


def test_worker_delivers_due_followup_notifications(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PEYVAND_VAR=str(tmp_path), PEYVAND_TESTING="0", PYTHONPATH=str(ROOT / "src"))
    _manage(env, "migrate", "-v0")
    _manage(env, "shell", "--no-imports", "-c", SETUP)
    assert _manage(env, "shell", "--no-imports", "-c", COUNT).strip() == "0"  # queued, not yet run

    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_huey", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        count = "0"
        while count == "0" and time.monotonic() < deadline:
            time.sleep(1)
            count = _manage(env, "shell", "--no-imports", "-c", COUNT).strip()
        assert count == "1"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
