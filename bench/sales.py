#!/usr/bin/env python
"""The kanban board and the forecast on 100,000 deals, each next to its floor.

Builds a throwaway SQLite database with demo people (``customers.demo``) and N demo deals
(``sales.demo``, 100,000 by default, spread over 18 Jalali months with stage history), then
times warm requests through Django's test client, as a demo agent (visibility filtering in
every figure) and as an administrator (every deal):

- the board page ``GET /sales/board/`` (first pipeline, 50 cards per column);
- the forecast page ``GET /sales/forecast/?year=`` and the API ``GET /api/v1/forecast``;
- the KPIs page for the current Jalali year.

Floors, measured in the same run: a bare Django view through the same middleware, and the
raw SQL the forecast boils down to (open and won amounts per Jalali month over the same
tables, joined to the calendar table) run on the same connection. Prints JSON; also writes
bench/results/sales_<database>.json.

    python bench/sales.py [--deals 100000] [--people 5000] [--requests 30]
    scripts/with-postgres python bench/sales.py --postgres
"""

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from list_search import AGENT_EMAIL, _percentile, floor_view, measure  # noqa: E402

urlpatterns = []  # filled in run(), once Django is set up

# What the forecast computes for a year, as one raw statement per figure: the floor.
FLOOR_SQL = {
    "open_by_month": """
        SELECT j.month_key, SUM(d.amount), SUM(d.amount * s.probability), COUNT(*)
        FROM sales_deal d
        JOIN core_jalaliday j ON j.date = d.expected_close
        JOIN sales_stage s ON s.id = d.stage_id
        WHERE d.deleted_at IS NULL AND d.status = 'open'
          AND d.expected_close BETWEEN %s AND %s
        GROUP BY j.month_key
    """,
    "won_by_month": """
        SELECT j.month_key, SUM(d.amount), COUNT(*)
        FROM sales_deal d
        JOIN core_jalaliday j ON j.date = {tehran_date}
        WHERE d.deleted_at IS NULL AND d.status = 'won'
          AND d.closed_at >= %s AND d.closed_at < %s
        GROUP BY j.month_key
    """,
}
# The Tehran date of closed_at in each database's own SQL (Iran keeps +03:30 all year now).
TEHRAN_DATE = {
    "sqlite": "date(d.closed_at, '+210 minutes')",
    "postgresql": "(d.closed_at AT TIME ZONE 'Asia/Tehran')::date",
}


def time_sql(statements: list[tuple[str, list]], requests: int) -> dict:
    """p50/p95 of running every statement once, ``requests`` times (after one warm-up)."""
    from django.db import connection

    def run_all():
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()

    run_all()
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        run_all()
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 95), 2),
        "requests": requests,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database (path printed)")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="use the empty database DATABASE_URL names (e.g. under scripts/with-postgres)",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="peyvand-sales-bench-"))
    if not args.postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["PEYVAND_VAR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "peyvand.settings"
    try:
        return run(args, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def build(args) -> dict:
    from django.core.management import call_command

    from peyvand.customers.demo import generate
    from peyvand.sales.demo import generate_deals

    call_command("migrate", verbosity=0)
    people = generate(args.people, seed=1)
    deals = generate_deals(args.deals, seed=1)
    return {"people": people, "deals": deals}


def clients(agent, admin):
    """Logged-in web clients and bearer-token API clients for both users."""
    from django.test import Client

    from peyvand.accounts.services import create_token

    result = {}
    for name, user in (("agent", agent), ("admin", admin)):
        # A page that fails is reported by its status, not allowed to stop the whole run.
        web = Client(raise_request_exception=False)
        web.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        _token, raw = create_token(user, "bench")
        api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")
        result[name] = (web, api)
    return result


def run(args, workdir: Path) -> int:
    import django

    django.setup()
    from django.db import connection
    from django.test import override_settings
    from django.urls import include, path

    from peyvand.accounts import services as accounts
    from peyvand.accounts.models import Role, User
    from peyvand.sales.deals import visible_deals
    from peyvand.sales.forecast import local_midnight, year_months
    from peyvand.sales.targets import current_jalali_year

    urlpatterns[:] = [path("__floor__/", floor_view), path("", include("peyvand.urls"))]
    built = build(args)
    agent = User.objects.get(email=AGENT_EMAIL)
    admin = accounts.create_user(
        None, email="bench-admin@example.com", password="a-Strong-passw0rd!1", role=Role.ADMIN
    )
    year = current_jalali_year()
    months = year_months(year)
    first, last = months[0]["first"], months[-1]["last"]
    stored = connection.ops.adapt_datetimefield_value  # as the ORM writes closed_at
    floor_statements = [
        (FLOOR_SQL["open_by_month"], [first.isoformat(), last.isoformat()]),
        (
            FLOOR_SQL["won_by_month"].format(tehran_date=TEHRAN_DATE[connection.vendor]),
            [stored(local_midnight(first)), stored(local_midnight(last + dt.timedelta(days=1)))],
        ),
    ]

    by_user = clients(agent, admin)
    figures = {}
    with override_settings(ROOT_URLCONF=__name__):
        figures["floor_bare_view"] = measure(by_user["agent"][0], ["/__floor__/"], args.requests)
        for role, (web, api) in by_user.items():
            figures[f"board_{role}"] = measure(web, ["/sales/board/"], args.requests)
            figures[f"forecast_page_{role}"] = measure(
                web, [f"/sales/forecast/?year={year}"], args.requests
            )
            figures[f"forecast_api_{role}"] = measure(
                api, [f"/api/v1/forecast?year={year}"], args.requests
            )
            figures[f"kpis_page_{role}"] = measure(web, ["/sales/kpis/"], args.requests)
    figures["floor_raw_forecast_sql"] = time_sql(floor_statements, args.requests)

    bare, raw_sql = figures["floor_bare_view"], figures["floor_raw_forecast_sql"]
    for name, figure in figures.items():
        if name.startswith("floor"):
            continue
        floor = raw_sql if "forecast" in name else bare
        for q in ("p50", "p95"):
            figure[f"{q}_over_floor"] = round(figure[f"{q}_ms"] / max(floor[f"{q}_ms"], 0.01), 1)
        figure["floor"] = "floor_raw_forecast_sql" if "forecast" in name else "floor_bare_view"

    report = {
        "benchmark": "sales",
        "database": connection.vendor,
        "deals": built["deals"],
        "people": built["people"]["people"],
        "demo_deals_per_second": round(
            built["deals"]["deals"] / max(built["deals"]["seconds"], 0.001)
        ),
        "jalali_year": year,
        "visible_deals": {
            "agent": visible_deals(agent).count(),
            "admin": visible_deals(admin).count(),
        },
        "requests": figures,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"sales_{connection.vendor}.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False, default=str)
    )
    print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    if args.keep and not args.postgres:
        print(f"database kept at {workdir / 'bench.sqlite3'}", file=sys.stderr)
    failing = [n for n, f in figures.items() if f.get("status", [200]) != [200]]
    if failing:
        print(f"pages that did not answer 200: {', '.join(failing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
