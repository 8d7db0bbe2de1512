"""Persian text helpers: digits and the one normaliser that search and dedup read.

Anything a user types may carry Persian (۰-۹) or Arabic-Indic (٠-٩) digits and Arabic
letter forms; ``to_ascii_digits`` and ``search_key`` fold them so that the same
person is found however their name or number was typed.
"""

import functools
import re
import unicodedata

from persiantools import characters, digits

# Arabic letter forms folded onto the Persian letters people search with.
_LETTER_FOLDS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "ؤ": "و",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
    }
)
# Tatweel (kashida), ZWNJ/ZWJ, direction marks and BOM: invisible, never meaningful in a key.
_INVISIBLE = re.compile("[\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")


def to_ascii_digits(text: str) -> str:
    """Turn Persian and Arabic-Indic digits into ASCII digits, leaving the rest alone."""
    return digits.fa_to_en(digits.ar_to_fa(text))


def to_persian_digits(text: str) -> str:
    """Turn ASCII digits into Persian digits (for display in Persian)."""
    return digits.en_to_fa(text)


# Names repeat a lot (a few hundred first and last names cover most people), and bulk
# imports normalise millions of them: remember recent answers.
@functools.lru_cache(maxsize=100_000)
def search_key(text: str | None) -> str:
    """The normalised form of ``text`` that search and duplicate detection compare.

    Lower-cased, Arabic letters folded to Persian, diacritics, kashida, ZWNJ and
    direction marks removed, digits in ASCII, whitespace collapsed.
    """
    if not text:
        return ""
    # Decomposed first: presentation forms and ligatures (ﵸ) become the letters the folds
    # below know, and diacritics (harakat, tanween, shadda, superscript alef) become
    # combining marks to drop.
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", str(text)) if not unicodedata.combining(ch)
    )
    text = to_ascii_digits(characters.ar_to_fa(text))
    text = text.translate(_LETTER_FOLDS)
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip().casefold()


# The Persian alphabet in its dictionary order. Unicode puts پ چ ژ ک گ ی after the Arabic
# letters and ه before و, so code-point order is not alphabetical; ``sort_key`` maps each
# letter to a private-use code point in this order instead.
PERSIAN_ALPHABET = "ءابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
_ALPHABET_ORDER = str.maketrans(
    {letter: chr(0xE000 + index) for index, letter in enumerate(PERSIAN_ALPHABET)}
)


def sort_key(text: str | None) -> str:
    """A key whose code-point (binary) order is Persian alphabetical order.

    Built on ``search_key``, so spelling variants sort together; Latin names come first.
    Databases must compare it bytewise (SQLite's default; PostgreSQL's "C" collation).
    """
    return search_key(text).translate(_ALPHABET_ORDER)


def clean_text(text: str | None) -> str:
    """Free text as stored: digits kept as typed, but invisible noise and outer spaces gone."""
    if text is None:
        return ""
    return str(text).replace("\x00", "").strip()
