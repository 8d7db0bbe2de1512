"""Turning what a user typed into the keys the search columns hold.

Search reads only normalised keys written on save (``search_key`` of names, E.164
phones, lower-cased e-mails, ASCII national IDs), so the query is normalised the
same way here, once, for every list, the global search box and the API.
"""

from dataclasses import dataclass

from .persian import search_key
from .phone import phone_search_digits

MIN_PHONE_DIGITS = 4


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
