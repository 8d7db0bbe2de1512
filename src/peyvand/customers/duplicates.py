"""Finding people who are one person: the check before a save, and the scan of everyone.

One rule decides, wherever the two records come from: ``score`` weighs the evidence of a
pair the way a Fellegi–Sunter record-linkage model does (each agreeing or disagreeing
field adds its log-odds weight to a prior) and turns the sum into a 0..1 score. Names
are compared with rapidfuzz's ``token_sort_ratio`` (and plain ``ratio``) on the normalised
full name, so swapped first and last names, Arabic ي/ك and ZWNJ make no difference;
phones (one mistyped digit still counts), e-mails, national IDs, birthdays and addresses
add or take away evidence. The weights are set by hand and checked against planted
duplicates (tests/customers/test_duplicates.py, bench/duplicates.py). A pair at or above
``THRESHOLD`` is a likely duplicate. A shared name alone never is (a city has many
«علی محمدی»), nor is a shared phone between different names (a family's landline).

Candidates come from blocks, never from comparing everyone with everyone:

- exact blocks: people sharing a normalised phone (E.164), e-mail or national ID;
- name neighbourhoods: people sorted by their normalised name with its words in order
  (so «محمدی علی» sits next to «علی محمدی»), and again with each word reversed (so a typo
  in a word's first letters still lands near), each compared with the ``NAME_WINDOW``
  people before them, and kept only when something besides the name agrees (a name
  alone cannot reach the threshold). The database sorts the scratch keys, so memory
  stays flat at a million people.

The check before a save uses the same exact blocks and the neighbours of the new name in
the indexed ``name_key`` order, in both word orders.

A block larger than ``BLOCK_LIMIT`` (a company switchboard, an info@ address) is skipped
and counted: it says "many people share this", not "these are one person".

Visibility: the check before a save compares only with records the user may see. A match
in another team is left out entirely (not even "someone else has this number"), so the
check cannot be used to probe another team's customers; the nightly scan, which sees
everyone, still finds such pairs for whoever may see both records.
"""

import math
import time
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import combinations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from peyvand.core.bulk import insert_values
from peyvand.core.persian import search_key, sort_key
from peyvand.core.visibility import require_write, visible

from .models import (
    Address,
    DuplicatePair,
    DuplicateScan,
    DuplicateScanKey,
    Email,
    Person,
    Phone,
)

THRESHOLD = 0.5
# Log-odds of two people in the same block being one person before any field is compared.
PRIOR = -6.0
NAME_WINDOW = 10
BLOCK_LIMIT = 50
# The name pass keeps a pair for full scoring when its partial evidence scores this much.
NAME_PASS_THRESHOLD = 0.3
NAME_PASS_SIMILARITY = 75
CHUNK = 5000
SCORE_CHUNK = 500
# How many neighbours in name order the check before a save looks at, each side.
CHECK_NEIGHBOURS = 10
STALE_SCAN = timedelta(hours=6)

REASONS = {
    "name": gettext_lazy("name"),
    "phone": gettext_lazy("phone"),
    "similar_phone": gettext_lazy("nearly the same phone"),
    "email": gettext_lazy("e-mail"),
    "similar_email": gettext_lazy("nearly the same e-mail"),
    "national_id": gettext_lazy("national ID"),
    "birthday": gettext_lazy("birthday"),
    "address": gettext_lazy("address"),
}


def reason_labels(reasons) -> list[str]:
    return [str(REASONS.get(reason, reason)) for reason in reasons]


# ---- the rule ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Features:
    """What ``score`` compares, all normalised: E.164 phones, lower-case e-mails."""

    pk: int | None
    name: str
    phones: frozenset = frozenset()
    emails: frozenset = frozenset()
    national_id: str = ""
    birthday: date | None = None
    postal_codes: frozenset = frozenset()
    # (city id, normalised line) of each address with a line
    places: frozenset = frozenset()


def full_name(first: str | None, last: str | None) -> str:
    return search_key(f"{first or ''} {last or ''}")


def name_similarity(a: str, b: str) -> float:
    """0..1: ``token_sort_ratio`` forgives swapped first and last names; plain ``ratio``
    forgives a typo in a word's first letter, which would reorder the sorted words."""
    return max(fuzz.token_sort_ratio(a, b), fuzz.ratio(a, b)) / 100


def _name_weight(a: Features, b: Features) -> float:
    similarity = name_similarity(a.name, b.name)
    # 0 at 0.75; a one-letter typo in a short name (≈0.89) still weighs +2.8.
    return max(-8.0, min(3.0, (similarity - 0.75) * 20))


def _phone_weight(a: Features, b: Features) -> tuple[float, str | None]:
    if not (a.phones and b.phones):
        return 0.0, None
    if a.phones & b.phones:
        return 5.0, "phone"
    # One digit mistyped: rare between two random numbers, common between one person's two.
    if any(Levenshtein.distance(x, y, score_cutoff=1) <= 1 for x in a.phones for y in b.phones):
        return 3.5, "similar_phone"
    return -1.0, None


def _email_weight(a: Features, b: Features) -> tuple[float, str | None]:
    if not (a.emails and b.emails):
        return 0.0, None
    if a.emails & b.emails:
        return 5.0, "email"
    if any(Levenshtein.normalized_similarity(x, y) >= 0.9 for x in a.emails for y in b.emails):
        return 1.5, "similar_email"
    return -0.5, None


def _national_id_weight(a: Features, b: Features) -> tuple[float, str | None]:
    if not (a.national_id and b.national_id):
        return 0.0, None
    if a.national_id == b.national_id:
        return 6.0, "national_id"
    # Two swapped digits can pass the check digit: no evidence either way.
    if OSA.distance(a.national_id, b.national_id, score_cutoff=1) <= 1:
        return 0.0, None
    return -8.0, None


def _birthday_weight(a: Features, b: Features) -> tuple[float, str | None]:
    if not (a.birthday and b.birthday):
        return 0.0, None
    return (2.0, "birthday") if a.birthday == b.birthday else (-2.0, None)


def _address_weight(a: Features, b: Features) -> tuple[float, str | None]:
    if a.postal_codes & b.postal_codes:
        return 3.5, "address"
    for city, line in a.places:
        for other_city, other_line in b.places:
            if city == other_city and fuzz.ratio(line, other_line) >= 90:
                return 2.0, "address"
    return 0.0, None


_EVIDENCE = (_phone_weight, _email_weight, _national_id_weight, _birthday_weight, _address_weight)


def score(a: Features, b: Features) -> tuple[float, list[str]]:
    """The probability-like score (0..1) that ``a`` and ``b`` are one person, and why."""
    name_weight = _name_weight(a, b)
    total = PRIOR + name_weight
    reasons = ["name"] if name_weight > 0 else []
    for evidence in _EVIDENCE:
        weight, reason = evidence(a, b)
        total += weight
        if reason:
            reasons.append(reason)
    return 1 / (1 + math.exp(-total)), reasons


# ---- features ---------------------------------------------------------------------------


def _address_features(addresses) -> dict:
    """Postal codes and (city, normalised line) places of ``(city id, line, postal code)``s."""
    return {
        "postal_codes": frozenset(code for _city, _line, code in addresses if code),
        "places": frozenset((city, search_key(line)) for city, line, _code in addresses if line),
    }


def _features(pk, first, last, national_id, birthday, phones, emails, addresses) -> Features:
    return Features(
        pk=pk,
        name=full_name(first, last),
        phones=frozenset(phones),
        emails=frozenset(e.lower() for e in emails),
        national_id=national_id or "",
        birthday=birthday,
        **_address_features(addresses),
    )


def features_for(ids) -> dict[int, Features]:
    """Features of the live people with these ids: a fixed number of queries per 500 ids."""
    ids = sorted(set(ids))
    found = {}
    for start in range(0, len(ids), SCORE_CHUNK):
        chunk = ids[start : start + SCORE_CHUNK]
        phones, emails, addresses = {}, {}, {}
        for pk, number in Phone.objects.filter(person_id__in=chunk).values_list(
            "person_id", "number"
        ):
            phones.setdefault(pk, []).append(number)
        for pk, address in Email.objects.filter(person_id__in=chunk).values_list(
            "person_id", "address"
        ):
            emails.setdefault(pk, []).append(address)
        for pk, *address in Address.objects.filter(person_id__in=chunk).values_list(
            "person_id", "city_id", "line", "postal_code"
        ):
            addresses.setdefault(pk, []).append(address)
        for pk, first, last, national_id, birthday in Person.objects.filter(
            pk__in=chunk
        ).values_list("pk", "first_name", "last_name", "national_id", "birthday"):
            found[pk] = _features(
                pk,
                first,
                last,
                national_id,
                birthday,
                phones.get(pk, ()),
                emails.get(pk, ()),
                addresses.get(pk, ()),
            )
    return found


def _stored(person: Person | None) -> Features | None:
    return features_for([person.pk]).get(person.pk) if person is not None and person.pk else None


def features_from_data(data: dict, person: Person | None = None, stored=None) -> Features:
    """Features of a person as a save would leave them: ``data`` is a service's cleaned
    input (only the fields it changes), laid over the stored ``person`` if any (whose
    features the caller may pass as ``stored``)."""
    stored = stored or _stored(person)
    changes = {}
    if "first_name" in data or "last_name" in data or stored is None:
        changes["name"] = full_name(
            data.get("first_name", person.first_name if person else ""),
            data.get("last_name", person.last_name if person else ""),
        )
    if "phones" in data:
        changes["phones"] = frozenset(p["number"] for p in data["phones"])
    if "emails" in data:
        changes["emails"] = frozenset(e["address"] for e in data["emails"])
    if "national_id" in data:
        changes["national_id"] = data["national_id"] or ""
    if "birthday" in data:
        changes["birthday"] = data["birthday"]
    if "addresses" in data:
        changes.update(
            _address_features(
                [
                    (a["city"].pk if a["city"] else None, a["line"], a["postal_code"])
                    for a in data["addresses"]
                ]
            )
        )
    return replace(stored or Features(pk=None, name=""), **changes)


# ---- the check before a save ------------------------------------------------------------


@dataclass
class Candidate:
    person: Person
    score: float
    reasons: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "id": self.person.pk,
            "name": self.person.full_name,
            "phones": [p.number for p in self.person.phones.all()],
            "emails": [e.address for e in self.person.emails.all()],
            "score": round(self.score, 2),
            "reasons": self.reasons,
        }


def _name_neighbours(features: Features) -> set[int]:
    """Ids of the people next to this name in the name order, in both word orders."""
    words = features.name.split()
    if not words:
        return set()
    ids = set()
    for order in {" ".join(words[1:] + words[:1]), " ".join(words)}:
        key = sort_key(order)
        after = Person.objects.filter(name_key__gte=key).order_by("name_key", "id")
        before = Person.objects.filter(name_key__lt=key).order_by("-name_key", "-id")
        for queryset in (after, before):
            ids.update(queryset.values_list("pk", flat=True)[:CHECK_NEIGHBOURS])
    return ids


def _candidate_ids(features: Features) -> set[int]:
    live = Q(person__isnull=False, person__deleted_at__isnull=True)
    ids = set()
    if features.phones:
        ids.update(
            Phone.objects.filter(live, number__in=features.phones).values_list(
                "person_id", flat=True
            )[:BLOCK_LIMIT]
        )
    if features.emails:
        ids.update(
            Email.objects.filter(live, address__in=features.emails).values_list(
                "person_id", flat=True
            )[:BLOCK_LIMIT]
        )
    if features.national_id:
        ids.update(
            Person.objects.filter(national_id=features.national_id).values_list("pk", flat=True)[
                :BLOCK_LIMIT
            ]
        )
    ids.update(_name_neighbours(features))
    ids.discard(features.pk)
    return ids


def likely_duplicates(user, subject, exclude_pk=None, limit: int = 10) -> list[Candidate]:
    """Live people ``user`` may see who are likely the same as ``subject``, best first.

    ``subject`` is a stored Person, or a service's cleaned input for a new one. People
    of other teams are left out, not hinted at (see the module's docstring).
    """
    features = (
        features_for([subject.pk])[subject.pk]
        if isinstance(subject, Person)
        else features_from_data(subject)
    )
    return _matches(user, features, {exclude_pk, features.pk}, limit)


def _matches(user, features: Features, exclude: set, limit: int) -> list[Candidate]:
    ids = _candidate_ids(features) - exclude
    if not ids:
        return []
    seen = list(visible(Person.objects.filter(pk__in=ids), user).values_list("pk", flat=True))
    scored = []
    for pk, other in features_for(seen).items():
        value, reasons = score(features, other)
        if value >= THRESHOLD:
            scored.append((value, pk, reasons))
    scored.sort(key=lambda item: (-item[0], item[1]))
    scored = scored[:limit]
    people = Person.objects.prefetch_related("phones", "emails").in_bulk(
        [pk for _, pk, _ in scored]
    )
    return [Candidate(people[pk], value, reasons) for value, pk, reasons in scored]


def check_before_save(user, clean: dict, person: Person | None = None) -> list[Candidate]:
    """Likely duplicates of the person ``clean`` creates or (with ``person``) changes.

    An edit that leaves name, phones, e-mails, national ID, birthday and addresses as they
    were is not checked again, and pairs someone marked "not duplicates" stay quiet.
    """
    before = _stored(person)
    after = features_from_data(clean, person, before)
    if before is not None and before == after:
        return []
    exclude = set()
    if person is not None and person.pk:
        exclude = dismissed_partners(person.pk) | {person.pk}
    return _matches(user, after, exclude, limit=10)


def dismissed_partners(pk: int) -> set[int]:
    pairs = DuplicatePair.objects.filter(
        Q(person_a_id=pk) | Q(person_b_id=pk), status=DuplicatePair.Status.DISMISSED
    ).values_list("person_a_id", "person_b_id")
    return {a if b == pk else b for a, b in pairs}


# ---- the scan ---------------------------------------------------------------------------


def _exact_blocks(stats: dict):
    """Lists of person ids sharing a phone, an e-mail or a national ID."""
    live = {"person__deleted_at__isnull": True, "person__isnull": False}
    streams = (
        Phone.objects.filter(**live).order_by("number").values_list("number", "person_id"),
        Email.objects.filter(**live).order_by("address").values_list("address", "person_id"),
        Person.objects.exclude(national_id="")
        .order_by("national_id")
        .values_list("national_id", "pk"),
    )
    for stream in streams:
        key, block = None, set()
        for value, pk in stream.iterator(chunk_size=CHUNK):
            if value != key:
                yield from _usable(block, stats)
                key, block = value, set()
            block.add(pk)
        yield from _usable(block, stats)


def _usable(block: set, stats: dict):
    if len(block) > BLOCK_LIMIT:
        stats["oversized_blocks"] += 1
    elif len(block) > 1:
        yield block


def name_keys(name: str) -> tuple[str, str]:
    """The two sort keys of a normalised name: words in order, and reversed words in order."""
    words = name.split()
    return " ".join(sorted(words))[:310], " ".join(sorted(w[::-1] for w in words))[:310]


def _first(model, column):
    return Subquery(
        model.objects.filter(person=OuterRef("pk")).order_by("position", "id").values(column)[:1]
    )


def _write_name_keys(scan: DuplicateScan) -> int:
    """Scratch rows for the name pass, one per person and key, written in short transactions
    (a long one would hold SQLite's write lock against the users for the whole scan)."""
    people = Person.objects.order_by("pk").annotate(
        phone=_first(Phone, "number"),
        email=_first(Email, "address"),
        postal=_first(Address, "postal_code"),
    )
    last, count = 0, 0
    while True:
        rows = list(
            people.filter(pk__gt=last).values_list(
                "pk",
                "first_name",
                "last_name",
                "national_id",
                "birthday",
                "phone",
                "email",
                "postal",
            )[:CHUNK]
        )
        if not rows:
            return count
        batch = []
        for pk, first, last_name, national_id, birthday, phone, email, postal in rows:
            name = full_name(first, last_name)
            if not name:
                continue
            evidence = {
                "scan_id": scan.pk,
                "person_id": pk,
                "national_id": national_id,
                "birthday": birthday,
                "phone": phone or "",
                "email": email or "",
                "postal_code": postal or "",
            }
            for number, key in enumerate(name_keys(name), start=1):
                batch.append({**evidence, "pass_number": number, "key": key})
        with transaction.atomic():
            insert_values(DuplicateScanKey, batch)
        count += len(rows)
        last = rows[-1][0]


def _scratch_features(pk, name, national_id, birthday, phone, email, postal) -> Features:
    return Features(
        pk=pk,
        name=name,
        phones=frozenset([phone] if phone else []),
        emails=frozenset([email] if email else []),
        national_id=national_id,
        birthday=birthday,
        postal_codes=frozenset([postal] if postal else []),
    )


class _Window:
    """The last ``NAME_WINDOW`` rows of the name order, column by column, so rapidfuzz
    compares a new row with all of them in one call per column."""

    def __init__(self):
        self.rows = deque(
            maxlen=NAME_WINDOW
        )  # (pk, name, national_id, birthday, phone, email, postal)
        self.names = deque(maxlen=NAME_WINDOW)
        self.phones = deque(maxlen=NAME_WINDOW)
        self.emails = deque(maxlen=NAME_WINDOW)

    def add(self, row) -> None:
        self.rows.append(row)
        self.names.append(row[1])
        self.phones.append(row[4])
        self.emails.append(row[5])

    def neighbours(self, row) -> list[int]:
        """Indexes of rows with a similar name and something else that agrees. Without the
        latter no pair reaches the threshold (PRIOR plus the best name weight is far
        below it), so common names alone never cost a full score."""
        similar = _matching(row[1], self.names, fuzz.ratio, NAME_PASS_SIMILARITY)
        if not similar:
            return []
        _pk, _name, national_id, birthday, phone, email, postal = row
        supported = _matching(phone, self.phones, Levenshtein.distance, 1)
        supported |= _matching(email, self.emails, Levenshtein.normalized_similarity, 0.9)
        for index in similar - supported:
            other = self.rows[index]
            if (
                (national_id and national_id == other[2])
                or (birthday and birthday == other[3])
                or (postal and postal == other[6])
            ):
                supported.add(index)
        return sorted(similar & supported)


def _matching(query, choices, scorer, cutoff) -> set[int]:
    """Indexes of ``choices`` within ``cutoff`` of ``query`` (one rapidfuzz call in C)."""
    if not query:
        return set()
    found = process.extract(query, choices, scorer=scorer, score_cutoff=cutoff, limit=None)
    return {index for choice, _score, index in found if choice}


def _name_pass(scan: DuplicateScan):
    """Pairs of neighbours in name order whose names and first contact points agree."""
    rows = (
        DuplicateScanKey.objects.filter(scan=scan)
        .order_by("pass_number", "key", "id")
        .values_list(
            "pass_number",
            "key",
            "person_id",
            "national_id",
            "birthday",
            "phone",
            "email",
            "postal_code",
        )
    )
    window, current_pass = _Window(), None
    for pass_number, key, *evidence in rows.iterator(chunk_size=CHUNK):
        if pass_number != current_pass:
            window, current_pass = _Window(), pass_number
        # Pass 2 keys hold each word reversed; compare the words as written.
        name = key if pass_number == 1 else " ".join(w[::-1] for w in key.split())
        row = (evidence[0], name, *evidence[1:])
        for index in window.neighbours(row):
            other = window.rows[index]
            if other[0] != row[0]:
                a, b = _scratch_features(*row), _scratch_features(*other)
                if score(a, b)[0] >= NAME_PASS_THRESHOLD:
                    yield row[0], other[0]
        window.add(row)


def _store(candidates: set, found_at) -> int:
    """Score every candidate pair on full features and upsert those above the threshold.

    Upserting only score, reasons and time keeps a dismissed pair dismissed.
    """
    ordered = sorted(candidates)
    stored = 0
    for start in range(0, len(ordered), SCORE_CHUNK):
        chunk = ordered[start : start + SCORE_CHUNK]
        features = features_for({pk for pair in chunk for pk in pair})
        pairs = []
        for a, b in chunk:
            if a in features and b in features:
                value, reasons = score(features[a], features[b])
                if value >= THRESHOLD:
                    pairs.append(
                        DuplicatePair(
                            person_a_id=a,
                            person_b_id=b,
                            score=round(value, 4),
                            reasons=reasons,
                            found_at=found_at,
                        )
                    )
        DuplicatePair.objects.bulk_create(
            pairs,
            update_conflicts=True,
            unique_fields=["person_a", "person_b"],
            update_fields=["score", "reasons", "found_at"],
        )
        stored += len(pairs)
    return stored


def run_scan(scan: DuplicateScan | None = None) -> DuplicateScan:
    """Scan every live person for duplicates; replace the open pairs with what it finds."""
    scan = scan or DuplicateScan.objects.create()
    started, clock = timezone.now(), time.monotonic()
    DuplicateScan.objects.filter(pk=scan.pk).update(status=scan.Status.RUNNING, started_at=started)
    stats = {"oversized_blocks": 0, "stage_seconds": {}}
    lap = _Lap(stats["stage_seconds"])
    try:
        candidates = set()
        for block in _exact_blocks(stats):
            candidates.update(combinations(sorted(block), 2))
        lap("exact_blocks")
        stats["people"] = _write_name_keys(scan)
        lap("name_keys")
        candidates.update((min(pair), max(pair)) for pair in _name_pass(scan))
        lap("name_pass")
        stats["candidate_pairs"] = len(candidates)
        stats["pairs_found"] = _store(candidates, started)
        DuplicatePair.objects.filter(
            status=DuplicatePair.Status.OPEN, found_at__lt=started
        ).delete()
        lap("scoring")
    except Exception as exc:
        _finish(scan, DuplicateScan.Status.FAILED, stats, clock, error=repr(exc))
        raise
    finally:
        DuplicateScanKey.objects.filter(scan=scan).delete()
    return _finish(scan, DuplicateScan.Status.DONE, stats, clock)


class _Lap:
    """Seconds spent in each stage of a scan, for the benchmark and the operator."""

    def __init__(self, into: dict):
        self.into, self.last = into, time.monotonic()

    def __call__(self, stage: str) -> None:
        now = time.monotonic()
        self.into[stage] = round(now - self.last, 2)
        self.last = now


def _finish(scan, status, stats, clock, error="") -> DuplicateScan:
    stats["seconds"] = round(time.monotonic() - clock, 2)
    scan.status, scan.stats, scan.error = status, stats, error
    scan.finished_at = timezone.now()
    scan.save(update_fields=["status", "stats", "error", "finished_at"])
    return scan


# ---- queue operations -------------------------------------------------------------------


def _require_manager(user) -> None:
    if not (user.is_authenticated and (user.is_admin or user.is_manager)):
        raise PermissionDenied(_("Only a manager or an administrator may start a scan."))


def request_scan(user) -> DuplicateScan:
    """Queue a scan for the worker, unless one is already waiting or running."""
    _require_manager(user)
    from .tasks import scan_duplicates

    pending = DuplicateScan.objects.filter(
        status__in=[DuplicateScan.Status.QUEUED, DuplicateScan.Status.RUNNING],
        created_at__gte=timezone.now() - STALE_SCAN,
    ).first()
    if pending:
        return pending
    scan = DuplicateScan.objects.create(requested_by=user)
    transaction.on_commit(lambda: scan_duplicates(scan.pk))
    return scan


def dismiss_pair(user, pair: DuplicatePair) -> DuplicatePair:
    """Mark a pair "not duplicates": later scans and the check before a save leave it be."""
    require_write(user)
    pair.status = DuplicatePair.Status.DISMISSED
    pair.decided_by, pair.decided_at = user, timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    return pair
