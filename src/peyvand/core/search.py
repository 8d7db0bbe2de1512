"""Search over the normalised ``search_text`` column, the one way every list searches.

Search reads only normalised keys written on save (``search_key`` of names, E.164
phones, lower-cased e-mails, ASCII national IDs), so the query is normalised the
same way here, once, for every list, the global search box and the API.
"""

import functools
from dataclasses import dataclass

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

from .persian import search_key
from .phone import phone_search_digits

MIN_PHONE_DIGITS = 4
# Trigram indexes (FTS5 on SQLite, pg_trgm on PostgreSQL) help only words this long.
TRIGRAM = 3


@dataclass(frozen=True)
class SearchQuery:
    text: str
    """The normalised words, matched against name/e-mail/ID keys."""
    phone_digits: str
    """Digits of a phone as stored after the country code, or empty."""


def parse_query(raw: str | None) -> SearchQuery | None:
    key = search_key((raw or "")[:200])
    if not key:
        return None
    digits = phone_search_digits(key) if key.replace("+", "").replace(" ", "").isdigit() else ""
    return SearchQuery(text=key, phone_digits=digits if len(digits) >= MIN_PHONE_DIGITS else "")


def filter_search_text(queryset, raw_query: str | None):
    """Records whose ``search_text`` holds every word of the query (or, for a phone
    query, its digits).

    On PostgreSQL the ``LIKE`` conditions use the column's pg_trgm GIN index. On SQLite a
    searched model has a ``<table>_fts`` FTS5 trigram index (made by its migration, kept
    in step by triggers), which narrows the rows first; the ``LIKE`` then checks the
    words shorter than a trigram exactly.
    """
    query = parse_query(raw_query)
    if query is None:
        return queryset
    alternatives = [query.text.split()]
    if query.phone_digits:
        alternatives.append([query.phone_digits])
    condition = Q()
    for words in alternatives:
        every_word = Q()
        for word in words:
            every_word &= Q(search_text__contains=word)
        condition |= every_word
    queryset = queryset.filter(condition)
    match = _fts_match(alternatives)
    table = queryset.model._meta.db_table
    if match and _has_fts_index(queryset.db, table):
        # Only the model's own table name is formatted in; the words are a parameter.
        fts = f'"{table}_fts"'
        sql = f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s"  # noqa: S608
        queryset = queryset.filter(pk__in=RawSQL(sql, [match]))  # noqa: S611
    return queryset


def _has_fts_index(alias: str, table: str) -> bool:
    """Whether the table has its SQLite FTS5 companion; tables searched less often (leads,
    deals) have none, and the ``LIKE`` conditions alone answer for them. Asked once per
    database file and table, not on every search."""
    connection = connections[alias]
    if connection.vendor != "sqlite":
        return False
    return _sqlite_has_table(str(connection.settings_dict["NAME"]), alias, f"{table}_fts")


@functools.cache
def _sqlite_has_table(database: str, alias: str, name: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [name])
        return cursor.fetchone() is not None


def _fts_match(alternatives: list[list[str]]) -> str | None:
    """An FTS5 query for the alternatives, or None when one has no word the index can use."""
    parts = []
    for words in alternatives:
        indexed = [word for word in words if len(word) >= TRIGRAM]
        if not indexed:
            return None
        parts.append("(" + " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed) + ")")
    return " OR ".join(parts)
