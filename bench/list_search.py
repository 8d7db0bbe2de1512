#!/usr/bin/env python
"""People list, global search and the customer 360 page on demo data, against a floor.

Builds a throwaway SQLite database with `peyvand demo` (10,000 people by default), then
times warm requests through Django's test client as a demo agent (so visibility filtering
is part of every figure). The floor is a bare Django view returning a constant, measured
in the same run through the same middleware: ratios to it are what to track, since
absolute times drift on shared machines. Prints JSON; also writes bench/results/.

    python bench/list_search.py [--people 10000] [--requests 50]
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
AGENT_EMAIL = "demo-agent1@example.com"


def floor_view(request):
    from django.http import HttpResponse

    return HttpResponse(b"ok")


urlpatterns = []  # filled in main(), once Django is set up


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def measure(client, urls: list[str], requests: int, warmup: int = 5) -> dict:
    """p50/p95 of ``requests`` GETs cycling through ``urls``, after ``warmup`` untimed ones."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(warmup):
        client.get(urls[i % len(urls)])
    with CaptureQueriesContext(connection) as queries:
        status = client.get(urls[0]).status_code
    # Counted now: the next request resets the connection's query log.
    query_count = len(queries)
    timings, statuses = [], set()
    for i in range(requests):
        started = time.perf_counter()
        response = client.get(urls[i % len(urls)])
        timings.append((time.perf_counter() - started) * 1000)
        statuses.add(response.status_code)
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 95), 2),
        "requests": requests,
        "queries": query_count,
        "status": sorted(statuses | {status}),
    }


def search_queries(people) -> list[str]:
    """What people type: a name with Arabic ي/ك, a phone in Persian digits, a national ID."""
    from peyvand.core.persian import to_persian_digits

    queries = []
    for person in people:
        queries.append(person.last_name.replace("ی", "ي").replace("ک", "ك"))
        phone = person.phones.first()
        if phone:
            queries.append(to_persian_digits("0" + phone.number.removeprefix("+98")[:7]))
        if person.national_id:
            queries.append(person.national_id)
    return queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="peyvand-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["PEYVAND_VAR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "peyvand.settings"
    try:
        return run(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client, override_settings
    from django.urls import include, path, reverse

    from peyvand.accounts.models import User
    from peyvand.customers.demo import generate
    from peyvand.customers.selectors import visible_people

    urlpatterns[:] = [path("__floor__/", floor_view), path("", include("peyvand.urls"))]
    call_command("migrate", verbosity=0)
    demo = generate(args.people, seed=1)

    agent = User.objects.get(email=AGENT_EMAIL)
    client = Client()
    client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")
    sample = list(visible_people(agent).order_by("?")[:20])
    person_urls = [reverse("customers:person_detail", args=[p.pk]) for p in sample]
    search_url = reverse("core:search")
    list_url = reverse("customers:person_list")
    scenarios = {
        "floor": ["/__floor__/"],
        "people_list": [list_url],
        "people_list_filtered": [f"{list_url}?stage=customer&sort=-created"],
        "global_search": [f"{search_url}?q={q}" for q in search_queries(sample)],
        "person_360": person_urls,
    }
    with override_settings(ROOT_URLCONF=__name__):
        figures = {name: measure(client, urls, args.requests) for name, urls in scenarios.items()}
    floor = figures["floor"]
    for figure in figures.values():
        for q in ("p50", "p95"):
            figure[f"{q}_over_floor"] = round(figure[f"{q}_ms"] / max(floor[f"{q}_ms"], 0.01), 1)

    report = {
        "benchmark": "list_search",
        "database": "sqlite",
        "people": demo["people"],
        "organizations": demo["organizations"],
        "activities": demo["activities"],
        "demo_seconds": demo["seconds"],
        "demo_people_per_second": round(demo["people"] / max(demo["seconds"], 0.001)),
        "user_role": agent.role,
        "visible_people": visible_people(agent).count(),
        "pages": figures,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "list_search.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    failing = [n for n, f in figures.items() if f["status"] != [200]]
    if failing:
        print(f"pages that did not answer 200: {', '.join(failing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
