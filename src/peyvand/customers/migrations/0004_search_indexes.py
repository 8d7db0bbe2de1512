"""Trigram indexes on search_text: substring search stays fast at a million customers.

SQLite: an FTS5 table with the trigram tokenizer over the column (external content, kept
in step by triggers). PostgreSQL: a pg_trgm GIN index, which ``LIKE '%…%'`` uses as is.
"""

from django.db import migrations

TABLES = ("customers_person", "customers_organization")


def sqlite_statements(table):
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF search_text ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for table in TABLES:
            for statement in sqlite_statements(table):
                schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table in TABLES:
            schema_editor.execute(
                f"CREATE INDEX {table}_search_trgm ON {table} USING gin (search_text gin_trgm_ops)"
            )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            for suffix in ("ai", "ad", "au"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {table}_fts")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_persian_name_order")]
    operations = [migrations.RunPython(create, drop)]
