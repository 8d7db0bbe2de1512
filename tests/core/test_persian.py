import pytest
from hypothesis import given
from hypothesis import strategies as st

from peyvand.core.persian import search_key, to_ascii_digits
from peyvand.core.search import parse_query


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("علي", "علی"),
        ("كريم", "کریم"),
        ("مي\u200cخواهم", "میخواهم"),  # ZWNJ
        ("سـلام", "سلام"),  # kashida
        ("مُحَمَّد", "محمد"),  # diacritics
        ("فاطمة", "فاطمه"),
        ("  Ali   KARIMI ", "ali karimi"),
        ("۰۹۱۲١٢٣", "0912123"),
        ("\u202bتهران\u202c", "تهران"),
    ],
)
def test_search_key_folds_spelling_variants(typed, key):
    assert search_key(typed) == key


@given(st.text())
def test_search_key_is_idempotent(text):
    assert search_key(search_key(text)) == search_key(text)


def test_digits_from_any_script_become_ascii():
    assert to_ascii_digits("۱۲۳-٤٥٦-789") == "123-456-789"


@pytest.mark.parametrize(
    ("query", "digits"),
    [("۰۹۱۲۱۲۳", "912123"), ("+98912123", "912123"), ("0098 912 123", "912123"), ("ali", "")],
)
def test_phone_queries_match_stored_e164_digits(query, digits):
    assert parse_query(query).phone_digits == digits


def test_empty_query_is_no_query():
    assert parse_query("  \u200c ") is None


def test_ligatures_fold_like_the_letters_they_stand_for():
    assert search_key("ﵸ") == search_key(search_key("ﵸ"))
