"""The ``peyvand`` command.

``peyvand run`` supervises the web server (gunicorn) and the background worker (Huey);
every other word is a Django management command: ``createadmin``, ``token create``,
``demo``, ``migrate``, ``shell``…
"""

import argparse
import os
import signal
import subprocess
import sys
import time

SETTINGS = "peyvand.settings"
# Longer than gunicorn's graceful timeout below, so a clean stop is never cut short.
STOP_GRACE_SECONDS = 15


def supervise(commands: list[list[str]], poll_seconds: float = 0.2) -> int:
    """Run ``commands`` side by side until one exits or we are told to stop.

    SIGINT and SIGTERM are forwarded to every child; when one child dies on its own the
    others are stopped too, so a half-running system never lingers. Returns 0 after a
    requested stop, else the exit code of the child that died first.
    """
    children: list[subprocess.Popen] = []
    stop_signal = None

    def forward(signum, _frame):
        nonlocal stop_signal
        stop_signal = signum
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    # Handlers first: a Ctrl-C that comes while the children start must still stop them.
    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for cmd in commands:
            if stop_signal is not None:
                break
            # Own sessions: a Ctrl-C in the terminal reaches the children once, through us.
            children.append(subprocess.Popen(cmd, start_new_session=True))  # noqa: S603
        while stop_signal is None and all(child.poll() is None for child in children):
            time.sleep(poll_seconds)
        first_dead = next((c for c in children if c.poll() is not None), None)
        _stop_all(children, already_signalled=stop_signal is not None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stop_signal is not None:
        return 0
    return first_dead.returncode or 1


def _stop_all(children, already_signalled: bool) -> None:
    """Stop every child: those already sent the user's signal get the grace period to
    finish on it, the others a SIGTERM; whoever outlives the grace period is killed."""
    if not already_signalled:
        for child in children:
            if child.poll() is None:
                child.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def server_commands(host: str, port: int, workers: int) -> list[list[str]]:
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "peyvand.wsgi:application",
        "--bind",
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "10",
        "--access-logfile",
        "-",
    ]
    worker = [sys.executable, "-m", "django", "run_huey"]
    return [web, worker]


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="peyvand run", description="Serve Peyvand (gunicorn) with its background worker."
    )
    parser.add_argument("--host", default=os.environ.get("PEYVAND_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PEYVAND_PORT", "8000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", min(4, 2 * (os.cpu_count() or 1) + 1))),
        help="gunicorn worker processes",
    )
    args = parser.parse_args(argv)
    print(f"Peyvand: http://{args.host}:{args.port}/  (Ctrl-C stops the server and the worker)")
    sys.stdout.flush()
    return supervise(server_commands(args.host, args.port, args.workers))


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:
        return run(argv[1:])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["peyvand", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
