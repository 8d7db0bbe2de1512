#!/usr/bin/env python
"""A million people: import rate, search and list latency, each next to its floor.

Writes a CSV of N people (default 1,000,000; Persian names, mobiles, e-mails, national IDs,
organisations, Jalali birthdays), then on a throwaway SQLite database measures:

- import rows/s end to end (file → validated, normalised, deduplicated rows) against raw
  ``sqlite3.executemany`` of the same rows, already normalised, into the same tables (with
  their indexes and FTS triggers) of an identical empty database;
- global search p50/p95 by name and by phone fragment against the raw FTS5 query;
- the people list page and the API list p95 against a bare Django view that returns a
  body of the same size.

Prints JSON and writes bench/results/scale.json.

    python bench/scale.py [--people 1000000] [--requests 50] [--keep]
"""

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from list_search import _percentile, measure  # noqa: E402

HEADER = ["نام", "نام خانوادگی", "تلفن همراه", "ایمیل", "کد ملی", "شرکت", "سمت", "تاریخ تولد"]
FLOOR_BODY = {"size": 0}


def floor_view(request):
    from django.http import HttpResponse

    return HttpResponse(b"x" * FLOOR_BODY["size"], content_type="application/json")


urlpatterns = []


def national_id(i: int) -> str:
    """A valid, distinct Iranian national ID for row ``i``."""
    body = f"{(i * 7919 + 100_000_007) % 10**9:09d}"
    total = sum(int(d) * (10 - k) for k, d in enumerate(body)) % 11
    return body + str(total if total < 2 else 11 - total)


def write_csv(path: Path, count: int, rng: random.Random) -> None:
    from peyvand.customers.demo import (
        FEMALE_NAMES,
        JOB_TITLES,
        LAST_NAMES,
        MALE_NAMES,
        ORG_KINDS,
        ORG_WORDS,
        latin,
    )

    first_names = MALE_NAMES + FEMALE_NAMES
    companies = [
        f"{ORG_KINDS[n % len(ORG_KINDS)]} {ORG_WORDS[n % len(ORG_WORDS)][0]} {n}"
        for n in range(5000)
    ]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        for i in range(count):
            first, last = rng.choice(first_names), rng.choice(LAST_NAMES)
            mobile = f"0912{(i * 7919 + 12345) % 10**7:07d}"
            email = f"{latin(first)}.{latin(last)}{i}@example.com" if i % 5 < 2 else ""
            nid = national_id(i) if i % 2 else ""
            company, title = ("", "")
            if i % 5 == 0:
                company, title = rng.choice(companies), rng.choice(JOB_TITLES)
            birthday = (
                f"13{rng.randrange(40, 80)}/{rng.randrange(1, 13):02d}/{rng.randrange(1, 29):02d}"
            )
            out.write(f"{first},{last},{mobile},{email},{nid},{company},{title},{birthday}\n")


def floor_rows(path: Path, owner_id: int, team_id: int):
    """The rows an import stores, normalised ahead of time (not timed): the floor's input."""
    import csv

    from django.utils import timezone

    from peyvand.core import jalali
    from peyvand.core.phone import normalize_phone
    from peyvand.customers.models import Person
    from peyvand.customers.services import customer_keys

    now = timezone.now().isoformat()
    people, phones, emails = [], [], []
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for pk, (first, last, mobile, email, nid, company, _title, birthday) in enumerate(
            reader, start=1
        ):
            number = normalize_phone(mobile)
            person = Person(first_name=first, last_name=last, national_id=nid)
            name_key, search_text = customer_keys(
                person,
                org_names=[company] if company else [],
                phones=[number],
                emails=[email] if email else [],
            )
            people.append(
                (
                    pk,
                    first,
                    last,
                    nid,
                    jalali.parse_date(birthday).isoformat(),
                    name_key,
                    search_text,
                    owner_id,
                    team_id,
                    now,
                    now,
                )
            )
            phones.append((pk, number))
            if email:
                emails.append((pk, email))
    return people, phones, emails


def measure_floor(db: Path, people, phones, emails) -> float:
    connection = sqlite3.connect(db)
    started = time.perf_counter()
    with connection:
        connection.executemany(
            "INSERT INTO customers_person (id, first_name, last_name, national_id, birthday, "
            "name_key, search_text, owner_id, team_id, created_at, updated_at, source, "
            "lifecycle_stage, description, custom, gender, preferred_channel, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'import', 'lead', '', '{}', '', '', 1)",
            people,
        )
        connection.executemany(
            "INSERT INTO customers_phone (person_id, number, kind, position) "
            "VALUES (?, ?, 'mobile', 0)",
            phones,
        )
        connection.executemany(
            "INSERT INTO customers_email (person_id, address, kind, position) "
            "VALUES (?, ?, 'work', 0)",
            emails,
        )
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def time_fts(db: Path, terms: list[str], requests: int) -> dict:
    connection = sqlite3.connect(db)
    timings = []
    for i in range(requests):
        term = '"' + terms[i % len(terms)].replace('"', '""') + '"'
        started = time.perf_counter()
        connection.execute(
            "SELECT rowid FROM customers_person_fts WHERE customers_person_fts MATCH ? LIMIT 25",
            [term],
        ).fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    connection.close()
    return {
        "p50_ms": round(statistics.median(timings), 3),
        "p95_ms": round(_percentile(timings, 95), 3),
        "requests": requests,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the database (path printed)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="peyvand-scale-"))
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
    from django.core.files import File
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.urls import include, path, reverse

    from peyvand.accounts import services as accounts
    from peyvand.accounts.models import Role, Team
    from peyvand.core.persian import to_persian_digits
    from peyvand.customers.models import Person
    from peyvand.transfers import services
    from peyvand.transfers.models import ImportJob

    urlpatterns[:] = [path("__floor__/", floor_view), path("", include("peyvand.urls"))]
    call_command("migrate", verbosity=0)
    team = Team.objects.create(name="فروش")
    agent = accounts.create_user(
        None,
        email="bench@example.com",
        password="a-Strong-passw0rd!1",
        role=Role.AGENT,
        team_ids=[team.pk],
    )
    connection.close()
    db = workdir / "bench.sqlite3"
    empty_copy = workdir / "floor.sqlite3"
    shutil.copy(db, empty_copy)

    csv_path = workdir / "people.csv"
    rng = random.Random(1)
    started = time.perf_counter()
    write_csv(csv_path, args.people, rng)
    csv_seconds = time.perf_counter() - started

    people, phones, emails = floor_rows(csv_path, agent.pk, team.pk)
    floor_seconds = measure_floor(empty_copy, people, phones, emails)
    del people, phones, emails
    empty_copy.unlink()

    started = time.perf_counter()
    with csv_path.open("rb") as handle:
        job = services.create_import(agent, File(handle, name="people.csv"))
    services.configure(agent, job, columns=job.mapping)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    job = services.run(ImportJob.objects.get(pk=job.pk))
    import_seconds = time.perf_counter() - started
    assert job.status == ImportJob.Status.DONE, job.error
    # Generated names repeat: a few rows are the same name in the same company, which the
    # import rightly takes for one person (skipped). Every row is accounted for.
    assert job.rejected_count == 0
    assert job.created_count + job.skipped_count == args.people

    client = Client()
    client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")
    sample = list(Person.objects.order_by("?")[:25].prefetch_related("phones"))
    names = [p.last_name.replace("ی", "ي").replace("ک", "ك") + " " + p.first_name for p in sample]
    phone_fragments = [to_persian_digits("0" + p.phones.all()[0].number[3:10]) for p in sample]
    search_url = reverse("core:search")
    list_url = reverse("customers:person_list")
    api_url = "/api/v1/persons?limit=25"
    _token, token = accounts.create_token(agent, "bench")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    list_size = len(client.get(list_url).content)
    api_size = len(api.get(api_url).content)

    with override_settings(ROOT_URLCONF=__name__):
        figures = {
            "search_by_name": measure(
                client, [f"{search_url}?q={q}" for q in names], args.requests
            ),
            "search_by_phone_fragment": measure(
                client, [f"{search_url}?q={q}" for q in phone_fragments], args.requests
            ),
            "people_list_page": measure(client, [list_url], args.requests),
            "api_people_list": measure(api, [api_url], args.requests),
        }
        FLOOR_BODY["size"] = list_size
        figures["floor_bare_view_list_size"] = measure(client, ["/__floor__/"], args.requests)
        FLOOR_BODY["size"] = api_size
        figures["floor_bare_view_api_size"] = measure(client, ["/__floor__/"], args.requests)
    connection.close()
    figures["floor_fts_by_name"] = time_fts(db, [p.last_name for p in sample], args.requests)
    figures["floor_fts_by_phone_fragment"] = time_fts(
        db, ["98" + p.phones.all()[0].number[3:10] for p in sample], args.requests
    )

    import_rate = args.people / import_seconds
    floor_rate = args.people / floor_seconds
    report = {
        "benchmark": "scale",
        "database": "sqlite",
        "people": args.people,
        "csv_write_seconds": round(csv_seconds, 1),
        "import": {
            "seconds": round(import_seconds, 1),
            "rows_per_second": round(import_rate),
            "floor_executemany_seconds": round(floor_seconds, 1),
            "floor_rows_per_second": round(floor_rate),
            "ratio_to_floor": round(import_rate / floor_rate, 3),
            "created": job.created_count,
            "matched_as_duplicates": job.skipped_count,
            "target_ratio": 0.125,
        },
        "requests": figures,
        "list_body_bytes": list_size,
        "api_body_bytes": api_size,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.keep:
        print(f"database kept at {db}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
