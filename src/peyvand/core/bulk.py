"""Bulk writes with the database's fast path (``executemany``), for imports and demo data.

Django's ``bulk_create`` on SQLite is capped at 999 parameters per statement, so wide rows
go in ~124-row batches; these helpers send one prepared INSERT for thousands of rows.
Callers run them inside their own transaction.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

INSERT_BATCH = 5000


def reserve_ids(model, count: int) -> list[int]:
    """Primary keys for ``count`` new rows, so children can point at them before the insert."""
    table = model._meta.db_table
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # AUTOINCREMENT never reuses an id (a purged record's audit events keep theirs), so
        # start past both the live maximum and the sequence. The IMMEDIATE transaction
        # holds the write lock, so no other writer takes these ids meanwhile.
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")  # noqa: S608 (model's table)
        start = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
        start = max(start, cursor.fetchone()[0]) + 1
    return list(range(start, start + count))


def insert_rows(model, objs: list) -> None:
    """INSERT the unsaved ``objs`` with ``executemany``; ids are kept when already set."""
    if not objs:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    fields = _fields(model, with_pk=objs[0].pk is not None)
    rows = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objs]
    _execute(model, fields, rows)


def insert_values(model, rows: list[dict]) -> None:
    """INSERT plain ``{attname: value}`` rows (``owner_id``, not ``owner``); absent fields
    take their defaults.

    Faster than ``insert_rows`` for wide models: no model instance per row, and only the
    values the driver cannot take as they are (JSON, dates, booleans) are converted.
    """
    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    fields = _fields(model, with_pk="id" in rows[0])
    now = timezone.now()
    defaults = {
        f.attname: f.get_db_prep_save(
            now
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default(),
            connection,
        )
        for f in fields
        if not f.primary_key
    }
    # (name, default, field to convert with or None) per column, in column order.
    plan = [
        (
            f.attname,
            defaults.get(f.attname),
            f if f.get_internal_type() in _CONVERTED else None,
        )
        for f in fields
    ]
    values = [
        [
            (field.get_db_prep_save(row[name], connection) if field else row[name])
            if name in row
            else default
            for name, default, field in plan
        ]
        for row in rows
    ]
    _execute(model, fields, values)


# Field types whose Python values the database driver cannot take as they are.
_CONVERTED = {"JSONField", "DateTimeField", "DateField", "BooleanField", "DecimalField"}


def _fields(model, *, with_pk: bool) -> list:
    return [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and not with_pk) and not f.generated
    ]


def _execute(model, fields, rows) -> None:
    # The real connection, not the thread-local proxy: this runs once per batch.
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    # Only the model's own table and column names are interpolated; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[start : start + INSERT_BATCH])
