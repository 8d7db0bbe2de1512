"""Column mapping for imports: which customer field each column fills, suggested from the
headers (Persian or English, Google and Outlook exports, vCards), checked, and applied to
every row by ``RowConverter``.

The converter does what a form cannot: it splits a full name, reads choice labels in
either language, finds provinces and cities by name, turns Gregorian dates into the
Jalali dates the services read, and splits cells holding several phones, e-mails or tags.
Everything else (phone formats, national-ID checksums, lengths) is left to the customer
services, so an import applies exactly the rules of the forms.
"""

import datetime as dt
import re
from collections.abc import Callable
from functools import lru_cache

import jdatetime
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rapidfuzz import fuzz, process

from peyvand.core.persian import search_key, to_ascii_digits
from peyvand.customers.custom_fields import definitions
from peyvand.customers.models import (
    Channel,
    CustomFieldDefinition,
    Gender,
    LifecycleStage,
    Source,
)

CUSTOM_PREFIX = "custom."

TARGETS: dict[str, str] = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "full_name": gettext_lazy("Full name"),
    "national_id": gettext_lazy("National ID"),
    "birthday": gettext_lazy("Birthday"),
    "gender": gettext_lazy("Gender"),
    "preferred_channel": gettext_lazy("Preferred channel"),
    "source": gettext_lazy("Source"),
    "lifecycle_stage": gettext_lazy("Lifecycle stage"),
    "description": gettext_lazy("Description"),
    "phone_mobile": gettext_lazy("Mobile phone"),
    "phone_work": gettext_lazy("Work phone"),
    "phone_home": gettext_lazy("Home phone"),
    "phone_other": gettext_lazy("Other phone"),
    "email_work": gettext_lazy("Work e-mail"),
    "email_personal": gettext_lazy("Personal e-mail"),
    "email_other": gettext_lazy("Other e-mail"),
    "organization": gettext_lazy("Organization"),
    "job_title": gettext_lazy("Job title"),
    "province": gettext_lazy("Province"),
    "city": gettext_lazy("City"),
    "address_line": gettext_lazy("Address"),
    "postal_code": gettext_lazy("Postal code"),
    "handle_telegram": gettext_lazy("Telegram"),
    "handle_instagram": gettext_lazy("Instagram"),
    "handle_whatsapp": gettext_lazy("WhatsApp"),
    "handle_bale": gettext_lazy("Bale"),
    "handle_eitaa": gettext_lazy("Eitaa"),
    "tags": gettext_lazy("Tags"),
}
PHONE_KINDS = {
    "phone_mobile": "mobile",
    "phone_work": "work",
    "phone_home": "home",
    "phone_other": "other",
}
EMAIL_KINDS = {"email_work": "work", "email_personal": "personal", "email_other": "other"}
# Targets several columns may fill (each column adds its values); every other target
# takes one column at most.
REPEATABLE = {*PHONE_KINDS, *EMAIL_KINDS, "tags"}
# Filled as they are; the service checks them.
SCALARS = ("first_name", "last_name", "national_id", "description")
ADDRESS_PARTS = {
    "province": "province",
    "city": "city",
    "address_line": "line",
    "postal_code": "postal_code",
}


def targets() -> list[tuple[str, str]]:
    """Every target a column can be mapped to, with its label: built-in, then custom fields."""
    custom = [(CUSTOM_PREFIX + d.key, d.label) for d in definitions("person")]
    return [*TARGETS.items(), *custom]


# ---- suggestions ------------------------------------------------------------------------------


def header_key(text: str) -> str:
    """A header as compared: Persian-normalised, lower case, letters and digits only, so
    "E-mail Address", "email address" and "نام‌خانوادگی" / "نام خانوادگی" meet."""
    return "".join(ch for ch in search_key(text) if ch.isalnum())


_DIGITS = re.compile(r"\d+")

# Header texts seen in the wild, by target (Persian, English, our own export's labels).
SYNONYMS: dict[str, list[str]] = {
    "first_name": ["نام", "نام کوچک", "اسم", "First Name", "Given Name", "First", "Forename"],
    "last_name": [
        "نام خانوادگی",
        "فامیلی",
        "فامیل",
        "نام فامیل",
        "نام فامیلی",
        "Last Name",
        "Family Name",
        "Surname",
        "Last",
    ],
    "full_name": [
        "نام و نام خانوادگی",
        "نام کامل",
        "نام و فامیل",
        "نام و فامیلی",
        "نام مشتری",
        "نام شخص",
        "Name",
        "Full Name",
        "Display Name",
        "Contact Name",
        "Customer Name",
    ],
    "national_id": [
        "کد ملی",
        "شماره ملی",
        "شناسه ملی",
        "National ID",
        "National Code",
        "Melli Code",
        "Government ID Number",
    ],
    "birthday": ["تاریخ تولد", "تولد", "Birthday", "Birth Date", "Date of Birth", "DOB"],
    "gender": ["جنسیت", "جنس", "Gender", "Sex"],
    "preferred_channel": [
        "کانال ارتباطی ترجیحی",
        "کانال ترجیحی",
        "روش ارتباط",
        "Preferred Channel",
        "Preferred Contact Method",
    ],
    "source": ["منبع", "منبع آشنایی", "نحوه آشنایی", "Source", "Lead Source"],
    "lifecycle_stage": ["مرحله چرخه عمر", "مرحله مشتری", "Lifecycle Stage", "Stage"],
    "description": [
        "توضیحات",
        "توضیح",
        "یادداشت",
        "یادداشت‌ها",
        "ملاحظات",
        "Notes",
        "Note",
        "Description",
        "Comments",
        "Comment",
    ],
    "phone_mobile": [
        "تلفن همراه",
        "موبایل",
        "همراه",
        "شماره همراه",
        "شماره موبایل",
        "شماره تلفن همراه",
        "Mobile",
        "Mobile Phone",
        "Mobile Number",
        "Cell",
        "Cell Phone",
        "Cellphone",
    ],
    "phone_work": [
        "تلفن محل کار",
        "تلفن کار",
        "تلفن شرکت",
        "تلفن دفتر",
        "Business Phone",
        "Work Phone",
        "Office Phone",
        "Company Main Phone",
    ],
    "phone_home": [
        "تلفن",
        "تلفن ثابت",
        "تلفن منزل",
        "تلفن خانه",
        "شماره تلفن",
        "Phone",
        "Home Phone",
        "Telephone",
        "Phone Number",
        "Tel",
    ],
    "phone_other": [
        "تلفن دیگر",
        "سایر تلفن‌ها",
        "تلفن‌ها",
        "Other Phone",
        "Primary Phone",
        "Phones",
        "Phone Value",
    ],
    "email_work": [
        "ایمیل",
        "پست الکترونیک",
        "پست الکترونیکی",
        "رایانامه",
        "آدرس ایمیل",
        "ایمیل کاری",
        "ایمیل‌ها",
        "Email",
        "E-mail Address",
        "Email Address",
        "Mail",
        "Work Email",
        "Business Email",
        "E-mails",
        "E-mail Value",
    ],
    "email_personal": ["ایمیل شخصی", "Personal Email", "Home Email"],
    "email_other": ["ایمیل دیگر", "Other Email"],
    "organization": [
        "شرکت",
        "سازمان",
        "نام شرکت",
        "نام سازمان",
        "سازمان‌ها",
        "Company",
        "Organization",
        "Organisation",
        "Company Name",
        "Organization Name",
        "Organizations",
    ],
    "job_title": [
        "سمت",
        "عنوان شغلی",
        "شغل",
        "پست سازمانی",
        "Job Title",
        "Position",
        "Occupation",
        "Organization Title",
    ],
    "province": ["استان", "Province", "State", "Region", "Address Region"],
    "city": ["شهر", "شهرستان", "City", "Town", "Address City"],
    "address_line": [
        "آدرس",
        "نشانی",
        "آدرس منزل",
        "آدرس محل کار",
        "Address",
        "Street",
        "Street Address",
        "Address Street",
    ],
    "postal_code": [
        "کد پستی",
        "Postal Code",
        "Postcode",
        "Zip",
        "Zip Code",
        "Address Postal Code",
    ],
    "handle_telegram": ["تلگرام", "آیدی تلگرام", "Telegram", "Telegram ID", "Telegram Username"],
    "handle_instagram": ["اینستاگرام", "اینستا", "پیج اینستاگرام", "Instagram"],
    "handle_whatsapp": ["واتساپ", "واتس‌اپ", "WhatsApp"],
    "handle_bale": ["Bale", "آیدی بله"],
    "handle_eitaa": ["ایتا", "Eitaa"],
    "tags": [
        "برچسب",
        "برچسب‌ها",
        "تگ",
        "تگ‌ها",
        "گروه",
        "دسته‌بندی",
        "Tags",
        "Tag",
        "Categories",
        "Category",
        "Labels",
        "Group Membership",
        "Groups",
    ],
}

# The reader's fixed vCard columns (see readers.VCARD_HEADERS), matched by exact text
# first: "TITLE" is a job title in a vCard, but a name prefix ("Mr.") in Outlook.
VCARD_TARGETS = {
    "FN": "full_name",
    "N:family": "last_name",
    "N:given": "first_name",
    "TEL:cell": "phone_mobile",
    "TEL:cell 2": "phone_mobile",
    "TEL:cell 3": "phone_mobile",
    "TEL:work": "phone_work",
    "TEL:work 2": "phone_work",
    "TEL:home": "phone_home",
    "TEL": "phone_other",
    "TEL 2": "phone_other",
    "EMAIL:work": "email_work",
    "EMAIL:home": "email_personal",
    "EMAIL": "email_other",
    "EMAIL 2": "email_other",
    "ORG": "organization",
    "TITLE": "job_title",
    "ADR:street": "address_line",
    "ADR:city": "city",
    "ADR:region": "province",
    "ADR:postal": "postal_code",
    "BDAY": "birthday",
    "NOTE": "description",
    "CATEGORIES": "tags",
}

_GOOGLE_NUMBERED = {
    # Google numbers repeated fields: "Phone 1 - Value", "Phone 2 - Value", ...; the
    # "- Type"/"- Label" columns beside them are not mapped (a phone's kind comes from its
    # target; a mobile number in an "other" column is stored as a mobile anyway).
    "Phone {n} - Value": "phone_other",
    "E-mail {n} - Value": "email_work",
}
BUILTIN_PRESETS: dict[str, dict[str, str]] = {
    "google": {
        # Old export (Google CSV) and the 2023+ export.
        "Name": "full_name",
        "Given Name": "first_name",
        "Family Name": "last_name",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Birthday": "birthday",
        "Gender": "gender",
        "Notes": "description",
        "Group Membership": "tags",
        "Labels": "tags",
        "Organization 1 - Name": "organization",
        "Organization 1 - Title": "job_title",
        "Organization Name": "organization",
        "Organization Title": "job_title",
        "Address 1 - Street": "address_line",
        "Address 1 - City": "city",
        "Address 1 - Region": "province",
        "Address 1 - Postal Code": "postal_code",
        **{
            header.format(n=n): target
            for header, target in _GOOGLE_NUMBERED.items()
            for n in range(1, 6)
        },
    },
    "outlook": {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Company": "organization",
        "Job Title": "job_title",
        "Mobile Phone": "phone_mobile",
        "Business Phone": "phone_work",
        "Business Phone 2": "phone_work",
        "Company Main Phone": "phone_work",
        "Home Phone": "phone_home",
        "Home Phone 2": "phone_home",
        "Other Phone": "phone_other",
        "Primary Phone": "phone_other",
        "E-mail Address": "email_work",
        "E-mail 2 Address": "email_personal",
        "E-mail 3 Address": "email_other",
        "Birthday": "birthday",
        "Gender": "gender",
        "Notes": "description",
        "Categories": "tags",
        "Government ID Number": "national_id",
        "Business Street": "address_line",
        "Business City": "city",
        "Business State": "province",
        "Business Postal Code": "postal_code",
    },
}


def _keyed(pairs) -> dict[str, str]:
    """header key → target, the first pair winning."""
    index = {}
    for text, target in pairs:
        index.setdefault(header_key(text), target)
    return index


_PRESET_INDEX = _keyed(
    (header, target) for preset in BUILTIN_PRESETS.values() for header, target in preset.items()
)
_SYNONYM_INDEX = _keyed(
    (text, target) for target, texts in SYNONYMS.items() for text in [target, *texts]
)
_FUZZY_MIN_LENGTH = 6
_FUZZY_CUTOFF = 88


def _custom_index() -> dict[str, str]:
    return _keyed(
        (text, CUSTOM_PREFIX + d.key) for d in definitions("person") for text in (d.key, d.label)
    )


def _matchers() -> list[Callable[[str], str]]:
    """Ways to recognise a header, strongest first."""
    custom = _custom_index()

    def fuzzy(header):
        key = header_key(header)
        if len(key) < _FUZZY_MIN_LENGTH:
            return ""
        found = process.extractOne(
            key, _SYNONYM_INDEX.keys(), scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF
        )
        return _SYNONYM_INDEX[found[0]] if found else ""

    return [
        lambda header: VCARD_TARGETS.get(header, ""),
        lambda header: _PRESET_INDEX.get(header_key(header), ""),
        lambda header: _SYNONYM_INDEX.get(header_key(header), ""),
        lambda header: custom.get(header_key(header), ""),
        # "تلفن همراه ۲", "Phone 3 - Value": the same field, numbered.
        lambda header: _SYNONYM_INDEX.get(_DIGITS.sub("", header_key(header)), ""),
        fuzzy,
    ]


def suggest(headers: list[str]) -> list[str]:
    """A target (or "") per header. Stronger matches are placed first, so an exact header
    anywhere wins over a fuzzy one; a single-valued target is never given twice. A lone
    "نام" column with no last-name column is taken as the full name."""
    suggestions = [""] * len(headers)
    decided = [False] * len(headers)
    used: set[str] = set()
    for matcher in _matchers():
        for i, header in enumerate(headers):
            if decided[i]:
                continue
            target = matcher(header)
            if not target:
                continue
            decided[i] = True
            if target in REPEATABLE or target not in used:
                suggestions[i] = target
                used.add(target)
    if "first_name" in used and not used & {"last_name", "full_name"}:
        suggestions[suggestions.index("first_name")] = "full_name"
    return suggestions


def apply_preset(preset: dict[str, str], headers) -> list[str]:
    """The preset's target for each header (matched ignoring case, spaces and punctuation);
    targets that no longer exist (a deleted custom field) and repeats are left out."""
    index = _keyed(preset.items())
    valid = dict(targets())
    result, used = [], set()
    for header in headers:
        target = index.get(header_key(header), "")
        if target not in valid or (target in used and target not in REPEATABLE):
            target = ""
        result.append(target)
        used.add(target)
    return result


def check_mapping(mapping: list[str], headers) -> None:
    """Raise a ValidationError ("mapping" or "mapping.<column>") unless the mapping fits."""
    if not isinstance(mapping, list | tuple) or len(mapping) != len(headers):
        raise ValidationError(
            {
                "mapping": [
                    _("Choose a field (or none) for each of the file's %(count)d columns.")
                    % {"count": len(headers)}
                ]
            }
        )
    labels = dict(targets())
    errors: dict[str, list[str]] = {}
    used: set[str] = set()
    for i, target in enumerate(mapping):
        if target in ("", None):
            continue
        if not isinstance(target, str) or target not in labels:
            errors[f"mapping.{i}"] = [_("There is no such field to import into.")]
            continue
        if target in used and target not in REPEATABLE:
            errors[f"mapping.{i}"] = [
                _("“%(field)s” is chosen for more than one column.") % {"field": labels[target]}
            ]
        used.add(target)
    if not used & {"last_name", "full_name"}:
        errors["mapping"] = [
            _("Choose the column with the last name or the full name: every person needs one.")
        ]
    if errors:
        raise ValidationError(errors)


# ---- converting values ----------------------------------------------------------------------

_LIST_SEPARATORS = re.compile(r"\s*(?:[,،;؛|\n]|:::)\s*")
_PHONE_SEPARATORS = re.compile(r"\s*[,،;؛|\n]\s*")
_EMAIL_SEPARATORS = re.compile(r"[\s,،;؛|]+")
_NON_DIGITS = re.compile(r"\D")
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T.*)?$")
_YEAR_LAST_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:\s.*)?$")
# Years from here on are Gregorian (a Jalali year is about 621 smaller).
_FIRST_GREGORIAN_YEAR = 1700
# Google marks its own system groups with "* "; every contact is in "myContacts".
_GOOGLE_ALL_CONTACTS = "mycontacts"


def split_list(value: str) -> list[str]:
    """Tags and multiple choices: split on , ، ; ؛ | line breaks and Google's ":::"."""
    items, seen = [], set()
    for item in _LIST_SEPARATORS.split(value):
        item = item.removeprefix("* ").strip()
        if item and item.casefold() not in seen and item.casefold() != _GOOGLE_ALL_CONTACTS:
            seen.add(item.casefold())
            items.append(item)
    return items


def split_full_name(full: str, first_name: str = "") -> tuple[str, str]:
    """(first name, last name) from a full name: "Last, First" when there is a comma; the
    rest after a known first name; else the last word is the last name (so compound first
    names such as "محمد علی" stay whole)."""
    full = " ".join(full.split())
    if "," in full or "،" in full:
        last, _sep, first = re.split(r"\s*([,،])\s*", full, maxsplit=1)
        return first, last
    if first_name and full.startswith(first_name + " "):
        return first_name, full[len(first_name) + 1 :]
    first, _sep, last = full.rpartition(" ")
    return first, last


def is_iranian_mobile(number: str) -> bool:
    """09xx, +989xx, 00989xx, 9xx (a spreadsheet dropped the 0), in any digits."""
    digits = _NON_DIGITS.sub("", number if number.isascii() else to_ascii_digits(number))
    if digits.startswith("0098"):
        digits = digits[4:]
    elif digits.startswith("98") and len(digits) == 12:
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    return len(digits) == 10 and digits.startswith("9")


def normalise_date(value: str) -> str:
    """A date the services read (Jalali, 1403/05/12): a Gregorian date (ISO, 19900512, or
    M/D/YYYY as Outlook writes it; D/M/YYYY when the day is over 12) becomes Jalali; a
    Jalali D/M/YYYY is reordered; Outlook's "0/0/00" is no date. Anything else is returned
    as it was, for the service to reject with its usual message."""
    text = to_ascii_digits(value).strip()
    if not text.strip("0/-. "):
        return ""
    if match := _ISO_DATE.match(text) or _COMPACT_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _YEAR_LAST_DATE.match(text):
        first, second, year = (int(part) for part in match.groups())
        if year >= _FIRST_GREGORIAN_YEAR and first <= 12:
            month, day = first, second
        else:
            day, month = first, second
    else:
        return value
    if year < _FIRST_GREGORIAN_YEAR:
        return f"{year:04d}/{month:02d}/{day:02d}"
    try:
        return jdatetime.date.fromgregorian(date=dt.date(year, month, day)).strftime("%Y/%m/%d")
    except ValueError:
        return value


def normalise_national_id(value: str) -> str:
    """A national ID that lost its leading zeros in a spreadsheet (8 or 9 digits) regains them."""
    digits = to_ascii_digits(value).strip()
    return digits.zfill(10) if digits.isdigit() and 8 <= len(digits) < 10 else value


def handle_from(value: str) -> str:
    """A messenger handle from "@name", "name" or a profile link (t.me/name)."""
    value = value.split("?", 1)[0].rstrip("/")
    return value.rsplit("/", 1)[-1] if "/" in value else value


_CHOICE_EXTRAS = {
    "gender": {
        Gender.FEMALE: ["f", "w", "woman", "mrs", "ms", "miss", "خانم", "مونث", "بانو"],
        Gender.MALE: ["m", "man", "mr", "آقا", "آقای", "مذکر"],
    },
    "preferred_channel": {
        Channel.SMS: ["text", "پیام کوتاه", "اس ام اس"],
        Channel.EMAIL: ["email", "mail", "پست الکترونیک"],
        Channel.PHONE: ["phone", "call", "تلفن", "تماس"],
        Channel.MESSENGER: ["telegram", "whatsapp", "پیام رسان", "پیامرسان"],
    },
    "source": {
        Source.WEBSITE: ["web", "site", "سایت", "وبسایت"],
        Source.REFERRAL: ["معرف", "referred"],
        Source.SOCIAL: ["instagram", "اینستاگرام", "social"],
    },
    "lifecycle_stage": {},
}
_CHOICE_FIELDS = {
    "gender": Gender,
    "preferred_channel": Channel,
    "source": Source,
    "lifecycle_stage": LifecycleStage,
}


def _choice_table(field: str) -> dict[str, str]:
    """search key of each code, English label, Persian label and common synonym → code."""
    choices = _CHOICE_FIELDS[field]
    table = {}
    for language in ("en", "fa"):
        with translation.override(language):
            for code, label in choices.choices:
                table.setdefault(search_key(str(label)), code)
    for code in choices.values:
        table.setdefault(search_key(code), code)
    for code, words in _CHOICE_EXTRAS[field].items():
        for word in words:
            table.setdefault(search_key(word), code)
    return table


# English names of the provinces, for exports from English-language address books.
_PROVINCE_ALIASES = {
    "آذربایجان شرقی": ["East Azerbaijan", "East Azarbaijan", "Azarbayjan-e Sharqi"],
    "آذربایجان غربی": ["West Azerbaijan", "West Azarbaijan", "Azarbayjan-e Gharbi"],
    "اردبیل": ["Ardabil", "Ardebil"],
    "اصفهان": ["Isfahan", "Esfahan"],
    "البرز": ["Alborz"],
    "ایلام": ["Ilam"],
    "بوشهر": ["Bushehr"],
    "تهران": ["Tehran", "Teheran"],
    "چهارمحال وبختیاری": ["Chaharmahal and Bakhtiari", "Chaharmahal Bakhtiari"],
    "خراسان جنوبی": ["South Khorasan"],
    "خراسان رضوی": ["Razavi Khorasan", "Khorasan Razavi"],
    "خراسان شمالی": ["North Khorasan"],
    "خوزستان": ["Khuzestan", "Khouzestan"],
    "زنجان": ["Zanjan"],
    "سمنان": ["Semnan"],
    "سیستان وبلوچستان": ["Sistan and Baluchestan", "Sistan Baluchestan"],
    "فارس": ["Fars", "Pars"],
    "قزوین": ["Qazvin", "Ghazvin"],
    "قم": ["Qom", "Ghom"],
    "کردستان": ["Kurdistan", "Kordestan"],
    "کرمان": ["Kerman"],
    "کرمانشاه": ["Kermanshah"],
    "کهگیلویه وبویراحمد": ["Kohgiluyeh and Boyer-Ahmad", "Kohgiluyeh Boyer-Ahmad"],
    "گلستان": ["Golestan"],
    "گیلان": ["Gilan", "Guilan"],
    "لرستان": ["Lorestan", "Luristan"],
    "مازندران": ["Mazandaran"],
    "مرکزی": ["Markazi"],
    "هرمزگان": ["Hormozgan"],
    "همدان": ["Hamadan", "Hamedan"],
    "یزد": ["Yazd"],
}
_PLACE_WORDS = {"استان", "شهرستان", "شهر", "province", "city", "ostan"}


def place_keys(name: str) -> list[str]:
    """Keys to look a place name up by: as written, then without a leading or trailing
    "استان"/"شهر"/"province" word ("استان تهران", "Tehran Province"). Spaces and ZWNJ are
    ignored, so "سیستان و بلوچستان" finds "سیستان وبلوچستان"."""
    words = search_key(name).split()
    keys = [header_key(" ".join(words))]
    while len(words) > 1 and (words[0] in _PLACE_WORDS or words[-1] in _PLACE_WORDS):
        words = words[1:] if words[0] in _PLACE_WORDS else words[:-1]
        keys.append(header_key(" ".join(words)))
    return keys


class Places:
    """Iran's provinces and cities by name, loaded once per import."""

    AMBIGUOUS = 0  # a city name found in several provinces

    def __init__(self):
        from iranian_cities.models import City, Province

        self.provinces: dict[str, int] = {}
        for pk, name in Province.objects.values_list("pk", "name"):
            self.provinces[header_key(name)] = pk
            for alias in _PROVINCE_ALIASES.get(name, []):
                self.provinces[header_key(alias)] = pk
        self.cities: dict[str, int] = {}
        self.cities_in: dict[tuple[int, str], int] = {}
        for pk, name, province_id in City.objects.values_list("pk", "name", "province_id"):
            key = header_key(name)
            self.cities_in.setdefault((province_id, key), pk)
            self.cities[key] = self.AMBIGUOUS if key in self.cities else pk

    def province(self, name: str) -> int | None:
        return next((self.provinces[k] for k in place_keys(name) if k in self.provinces), None)

    def city(self, name: str, province_id: int | None) -> int | None:
        """The city in the province if one is given; else the one city of that name in Iran
        (a city found in another province is returned, so the service says so)."""
        for key in place_keys(name):
            if province_id and (province_id, key) in self.cities_in:
                return self.cities_in[province_id, key]
            if self.cities.get(key):
                return self.cities[key]
        return None


def column_for(columns: dict[str, int], error_key: str) -> int | None:
    """The column a service error key ("phones.0.number") came from: the longest prefix
    of the key that ``columns`` knows."""
    key = error_key
    while key not in columns:
        if "." not in key:
            return None
        key = key.rsplit(".", 1)[0]
    return columns[key]


Handler = Callable[[str, dict, dict], None]
# A million rows repeat the same few genders, stages, provinces and cities (and many
# birthdays): each distinct text is normalised once.
_memoised = lru_cache(maxsize=65536)
_split_list_memoised = _memoised(lambda value: tuple(split_list(value)))


class RowConverter:
    """Built once per import (loads places, choices and custom fields once); converts a row
    of strings into the dict the customer services validate.

    ``convert`` returns ``(data, columns)``. ``data`` has only the keys whose column is
    mapped and non-empty in this row, in the services' shape (``phones=[{"number",
    "kind"}]``, ``addresses=[{"province": id, "city": id, "line", "postal_code", "kind"}]``
    ...) plus ``organization_name``, ``job_title`` and ``tag_names``, which the import
    pipeline handles itself. A province or city that is not found stays as the text
    written, so the service reports "Choose a province from the list." under
    ``addresses.0.province`` (a number is taken as an id, as in the API). ``columns`` maps
    error-key prefixes to column indexes; ``column_for`` reads it.
    """

    def __init__(self, mapping: list[str], headers: list[str]):
        self.width = len(headers)
        self.static_columns: dict[str, int] = {}
        self.last_columns: dict[str, int] = {}
        self._full_name_column: int | None = None
        mapped = {t for t in mapping if t}
        self._finds_places = bool(mapped & {"province", "city"})
        if self._finds_places:
            places = Places()
            self._province = _memoised(places.province)
            self._city = _memoised(places.city)
        self._custom = {
            d.key: d
            for d in CustomFieldDefinition.objects.filter(entity="person", is_active=True)
            if CUSTOM_PREFIX + d.key in mapped
        }
        self._handlers: list[tuple[int, Handler]] = [
            (i, self._handler(target, i)) for i, target in enumerate(mapping) if target
        ]
        if self._full_name_column is not None:
            # Errors on a name the full name was split into belong to the full-name column,
            # unless the name has its own column.
            self._claim("last_name", self._full_name_column)
            self._claim("first_name", self._full_name_column)

    # -- building --

    def _claim(self, key: str, column: int) -> None:
        self.static_columns.setdefault(key, column)

    def _handler(self, target: str, i: int) -> Handler:
        if target in SCALARS or target in _CHOICE_FIELDS or target == "birthday":
            self._claim(target, i)
            return self._scalar(target)
        if target == "full_name":
            self._full_name_column = i
            return self._scalar("full_name")
        if target in PHONE_KINDS:
            self._claim("phones", i)
            return self._phones(PHONE_KINDS[target], i)
        if target in EMAIL_KINDS:
            self._claim("emails", i)
            return self._emails(EMAIL_KINDS[target], i)
        if target in ADDRESS_PARTS:
            part = ADDRESS_PARTS[target]
            self._claim("addresses", i)
            self._claim("addresses.0", i)
            self._claim(f"addresses.0.{part}", i)
            return self._address(part)
        if target.startswith("handle_"):
            self._claim("social_handles", i)
            return self._handle(target.removeprefix("handle_"), i)
        if target in ("organization", "job_title"):
            key = "organization_name" if target == "organization" else "job_title"
            self._claim(key, i)
            self._claim("organizations", i)
            return self._scalar(key)
        if target == "tags":
            self._claim("tag_names", i)
            self._claim("tags", i)
            return self._tags
        if target.startswith(CUSTOM_PREFIX) and target[len(CUSTOM_PREFIX) :] in self._custom:
            key = target[len(CUSTOM_PREFIX) :]
            self._claim("custom", i)
            self._claim(target, i)
            return self._custom_value(self._custom[key])
        raise ValidationError({"mapping": [_("There is no such field to import into.")]})

    @staticmethod
    def _scalar(key: str) -> Handler:
        if key in _CHOICE_FIELDS:
            table = _choice_table(key)

            @_memoised
            def clean(value):
                return table.get(search_key(value), value)
        elif key == "birthday":
            clean = _memoised(normalise_date)
        elif key == "national_id":
            clean = normalise_national_id
        else:

            def clean(value):
                return value

        def handle(value, data, columns):
            if cleaned := clean(value):
                data[key] = cleaned

        return handle

    def _phones(self, kind: str, i: int) -> Handler:
        # A mobile number in a generic or landline column ("تلفن") is still a mobile:
        # Iranian mobile numbers are recognisable, and SMS depends on the kind.
        may_be_mobile = kind in ("home", "other")

        def handle(value, data, columns):
            phones = data.setdefault("phones", [])
            for number in _PHONE_SEPARATORS.split(value):
                if number:
                    columns[f"phones.{len(phones)}"] = i
                    mobile = may_be_mobile and is_iranian_mobile(number)
                    phones.append({"number": number, "kind": "mobile" if mobile else kind})

        return handle

    def _emails(self, kind: str, i: int) -> Handler:
        def handle(value, data, columns):
            emails = data.setdefault("emails", [])
            for address in _EMAIL_SEPARATORS.split(value):
                if address:
                    columns[f"emails.{len(emails)}"] = i
                    emails.append({"address": address, "kind": kind})

        return handle

    @staticmethod
    def _address(part: str) -> Handler:
        def handle(value, data, columns):
            data.setdefault("addresses", [{"kind": "home"}])[0][part] = value

        return handle

    @staticmethod
    def _handle(network: str, i: int) -> Handler:
        def handle(value, data, columns):
            handles = data.setdefault("social_handles", [])
            columns[f"social_handles.{len(handles)}"] = i
            handles.append({"network": network, "handle": handle_from(value)})

        return handle

    @staticmethod
    def _tags(value, data, columns):
        names = data.setdefault("tag_names", [])
        names.extend(name for name in _split_list_memoised(value) if name not in names)

    @staticmethod
    def _custom_value(definition: CustomFieldDefinition) -> Handler:
        field_type = CustomFieldDefinition.FieldType
        if definition.field_type == field_type.MULTICHOICE:

            def clean(value):
                return list(_split_list_memoised(value))

        elif definition.field_type == field_type.DATE:
            clean = _memoised(normalise_date)
        else:

            def clean(value):
                return value

        def handle(value, data, columns):
            if (cleaned := clean(value)) not in ("", []):
                data.setdefault("custom", {})[definition.key] = cleaned

        return handle

    # -- converting --

    def convert(self, values: list[str]) -> tuple[dict, dict[str, int]]:
        if len(values) < self.width:
            values = list(values) + [""] * (self.width - len(values))
        data: dict = {}
        columns = dict(self.static_columns)
        for i, handle in self._handlers:
            value = values[i]
            if value and (value := value.strip()):
                handle(value, data, columns)
        if "full_name" in data:
            self._split_full_name(data, columns)
        if "addresses" in data and self._finds_places:
            self._find_places(data["addresses"][0])
        self.last_columns = columns
        return data, columns

    def column_for(self, error_key: str, columns: dict[str, int] | None = None) -> int | None:
        """The column of a service error key, for ``columns`` (by default the last row's)."""
        return column_for(self.last_columns if columns is None else columns, error_key)

    def _split_full_name(self, data: dict, columns: dict) -> None:
        full = data.pop("full_name")
        if data.get("last_name"):
            return
        first, last = split_full_name(full, data.get("first_name", ""))
        data["last_name"] = last
        columns["last_name"] = self._full_name_column
        if first and not data.get("first_name"):
            data["first_name"] = first
            columns["first_name"] = self._full_name_column

    def _find_places(self, address: dict) -> None:
        province_id = None
        if "province" in address:
            province_id = self._province(address["province"])
            if province_id:
                address["province"] = province_id
        if "city" in address:
            city_id = self._city(address["city"], province_id)
            if city_id:
                address["city"] = city_id
