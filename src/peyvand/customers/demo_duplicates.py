"""Duplicates planted in demo data, to measure the duplicate scan against a known answer.

Each planted duplicate copies one existing person the way a second clerk would have typed
them: the name with a typo, first and last swapped, Arabic ي/ك or a lost ZWNJ; the mobile
in another format (0912…, +98 912…, 98912…, Persian digits) or, now and then, with one
digit wrong; and only some of the e-mail, national ID, birthday and address. Every copy
keeps a phone (exact or mistyped), because a record with nothing but a common name in
common is not evidence of anything. Rows are written with the bulk fast path, with the
same normalised values and keys the services would write.
"""

import random

from django.db import transaction

from peyvand.core.bulk import insert_rows, reserve_ids
from peyvand.core.persian import to_persian_digits
from peyvand.core.phone import normalize_phone

from .models import Address, Email, Person, Phone
from .services import customer_keys

LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
ARABIC = str.maketrans({"ی": "ي", "ک": "ك"})
PHONE_FORMATS = (
    lambda n: "0" + n,
    lambda n: f"+98 {n[:3]} {n[3:6]} {n[6:]}",
    lambda n: "98" + n,
    lambda n: to_persian_digits("0" + n),
    lambda n: f"0098{n}",
    lambda n: f"0{n[:3]}-{n[3:6]}-{n[6:]}",
)
CHUNK = 500


def typo(rng: random.Random, word: str) -> str:
    """One slip of the finger: a letter replaced, dropped, doubled or two swapped."""
    if len(word) < 3:
        return word
    i = rng.randrange(len(word))
    kind = rng.choice(("replace", "drop", "insert", "swap"))
    if kind == "replace":
        return word[:i] + rng.choice(LETTERS.replace(word[i], "")) + word[i + 1 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "insert":
        return word[:i] + rng.choice(LETTERS) + word[i:]
    i = min(i, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def name_variant(rng: random.Random, first: str, last: str) -> tuple[str, str]:
    kind = rng.choice(("typo", "typo", "swap", "arabic", "spacing", "swap_arabic"))
    if kind == "typo":
        if first and rng.random() < 0.5:
            return typo(rng, first), last
        return first, typo(rng, last)
    if kind == "swap":
        return last, first
    if kind == "arabic":
        return first.translate(ARABIC), last.translate(ARABIC)
    if kind == "spacing":  # a ZWNJ dropped, typed as a space, or added
        if "\u200c" in last:
            return first, last.replace("\u200c", rng.choice(("", " ")))
        i = rng.randrange(1, len(last)) if len(last) > 1 else 0
        return first, last[:i] + "\u200c" + last[i:]
    return last.translate(ARABIC), first.translate(ARABIC)


def phone_variant(rng: random.Random, e164: str, mistype: float) -> str:
    national = e164.removeprefix("+98")
    if rng.random() < mistype:
        i = rng.randrange(3, len(national))
        digit = rng.choice("0123456789".replace(national[i], ""))
        national = national[:i] + digit + national[i + 1 :]
    return rng.choice(PHONE_FORMATS)(national)


def _originals(ids: list[int]) -> list[dict]:
    people = {
        p.pk: {"person": p, "phones": [], "emails": [], "addresses": []}
        for p in Person.objects.filter(pk__in=ids)
    }
    for phone in Phone.objects.filter(person_id__in=ids):
        people[phone.person_id]["phones"].append(phone.number)
    for email in Email.objects.filter(person_id__in=ids):
        people[email.person_id]["emails"].append(email.address)
    for address in Address.objects.filter(person_id__in=ids):
        people[address.person_id]["addresses"].append(address)
    return [people[pk] for pk in ids if pk in people and people[pk]["phones"]]


def _copy(rng, original: dict, pk: int, mistype: float) -> tuple[Person, list]:
    source = original["person"]
    first, last = name_variant(rng, source.first_name, source.last_name)
    person = Person(
        pk=pk,
        first_name=first,
        last_name=last,
        national_id=source.national_id if rng.random() < 0.5 else "",
        birthday=source.birthday if rng.random() < 0.5 else None,
        gender=source.gender,
        owner_id=source.owner_id,
        team_id=source.team_id,
        created_by_id=source.owner_id,
        source="import",
        lifecycle_stage=source.lifecycle_stage,
    )
    number = normalize_phone(phone_variant(rng, original["phones"][0], mistype))
    rows = [Phone(person=person, number=number, kind="mobile")]
    emails = []
    if original["emails"] and rng.random() < 0.5:
        emails = [original["emails"][0]]
        rows.append(Email(person=person, address=emails[0]))
    if original["addresses"] and rng.random() < 0.4:
        address = original["addresses"][0]
        rows.append(
            Address(
                person=person,
                kind=address.kind,
                province_id=address.province_id,
                city_id=address.city_id,
                line=address.line,
                postal_code=address.postal_code,
            )
        )
    person.name_key, person.search_text = customer_keys(person, phones=[number], emails=emails)
    return person, rows


def inject_duplicates(count: int, *, seed: int | None = None, mistype: float = 0.1) -> list:
    """Plant ``count`` duplicates of distinct existing people; returns (original, copy) ids.

    ``mistype`` is the share of copies whose phone has one wrong digit.
    """
    rng = random.Random(seed)
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    chosen = rng.sample(ids, min(count, len(ids)))
    planted = []
    with transaction.atomic():
        new_ids = iter(reserve_ids(Person, len(chosen)))
        for start in range(0, len(chosen), CHUNK):
            people, rows = [], {Phone: [], Email: [], Address: []}
            for original in _originals(chosen[start : start + CHUNK]):
                person, children = _copy(rng, original, next(new_ids), mistype)
                people.append(person)
                for child in children:
                    rows[type(child)].append(child)
                planted.append((original["person"].pk, person.pk))
            insert_rows(Person, people)
            for model, objs in rows.items():
                insert_rows(model, objs)
    return planted
