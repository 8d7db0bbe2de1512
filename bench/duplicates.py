#!/usr/bin/env python
"""Duplicate scan on demo people with planted duplicates: time, precision and recall.

Builds a SQLite database with the demo generator (100,000 people by default) and plants
one duplicate for every tenth person (typos, swapped names, Arabic letters, phones typed
another way or with one wrong digit; see customers/demo_duplicates.py), then runs the
full scan. Precision and recall are measured against the planted pairs. The floor is
one raw ``sqlite3`` read of what the scan must read at least once (every person's name
and every phone), timed in the same run. Prints JSON; also writes bench/results/.

    python bench/duplicates.py [--people 100000] [--database PATH]

With ``--database PATH`` an existing database (and the planted pairs saved beside it
in PATH.planted.json) is reused, so a million-person set is built only once.
"""

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
BATCH = 100_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--database", type=Path, help="build here, or reuse if it exists")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="peyvand-bench-"))
    database = args.database or workdir / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database.resolve()}"
    os.environ["PEYVAND_VAR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "peyvand.settings"
    try:
        return run(args, database)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def build(people: int, seed: int, planted_file: Path) -> list:
    from peyvand.customers.demo import generate
    from peyvand.customers.demo_duplicates import inject_duplicates

    # In batches: the generator holds a batch's rows in memory until it writes them.
    for batch, start in enumerate(range(0, people, BATCH)):
        generate(min(BATCH, people - start), seed=seed + batch)
    planted = inject_duplicates(people // 10, seed=seed)
    planted_file.write_text(json.dumps(planted))
    return planted


def floor_seconds(database: Path) -> float:
    """One raw read of every person's name and every phone number."""
    started = time.perf_counter()
    with sqlite3.connect(database) as raw:
        for _row in raw.execute("SELECT id, first_name, last_name FROM customers_person"):
            pass
        for _row in raw.execute("SELECT person_id, number FROM customers_phone ORDER BY number"):
            pass
    return time.perf_counter() - started


def run(args, database: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from peyvand.customers.duplicates import run_scan
    from peyvand.customers.models import DuplicatePair, Person

    planted_file = database.with_name(database.name + ".planted.json")
    call_command("migrate", verbosity=0)
    if planted_file.exists() and Person.objects.exists():
        planted = json.loads(planted_file.read_text())
    else:
        planted = build(args.people, args.seed, planted_file)
    truth = {(min(a, b), max(a, b)) for a, b in planted}

    scan = run_scan()
    found = set(
        DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN).values_list(
            "person_a_id", "person_b_id"
        )
    )
    floor = floor_seconds(database)
    hits = len(found & truth)
    report = {
        "benchmark": "duplicates",
        "database": "sqlite",
        "people": scan.stats["people"],
        "injected": len(truth),
        "seconds": scan.stats["seconds"],
        "floor_read_seconds": round(floor, 2),
        "seconds_over_floor": round(scan.stats["seconds"] / max(floor, 0.001), 1),
        "stage_seconds": scan.stats["stage_seconds"],
        "candidate_pairs": scan.stats["candidate_pairs"],
        "oversized_blocks": scan.stats["oversized_blocks"],
        "pairs_found": len(found),
        "precision": round(hits / len(found), 4) if found else None,
        "recall": round(hits / len(truth), 4) if truth else None,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "duplicates.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
