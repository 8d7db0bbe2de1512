"""Running an import: rows are read, validated, matched and written chunk by chunk.

Each chunk commits its new records, its updates (with the values they replaced), its
rejected rows and the job's checkpoint in one transaction. A worker killed mid-chunk
loses only that uncommitted chunk; the next run starts after the last committed one,
so every good row is written exactly once.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from peyvand.core.bulk import insert_rows, insert_values, reserve_ids
from peyvand.core.database import refresh_statistics
from peyvand.core.models import AuditEvent
from peyvand.core.persian import search_key, sort_key
from peyvand.core.visibility import visible
from peyvand.customers import services as customers
from peyvand.customers.custom_fields import definitions
from peyvand.customers.models import (
    CUSTOMER_FIELDS,
    PERSON_FIELDS,
    Address,
    Email,
    Membership,
    Organization,
    Person,
    Phone,
    SocialHandle,
    Tag,
)
from peyvand.customers.selectors import visible_organizations

from .mapping import RowConverter
from .models import DuplicatePolicy, ImportChunk, ImportFingerprint, ImportIssue, ImportJob
from .readers import ImportFileError, count_rows, open_table

CHUNK_ROWS = 1000
# Two names in the same organisation at least this similar (0-100) are the same person.
NAME_SIMILARITY = 92
# At most this many members of a chunk's organisations are compared by name.
MEMBERS_LIMIT = 50_000
# An import that adds this many people refreshes the query planner's statistics.
STATISTICS_AFTER = 10_000
# Scalar fields an import may set; lists (phones, e-mails, ...) are always added to.
SCALARS = (*PERSON_FIELDS, *CUSTOMER_FIELDS)
CONTACT_LISTS = {
    "phones": (Phone, "number"),
    "emails": (Email, "address"),
    "addresses": (Address, None),
    "social_handles": (SocialHandle, "handle"),
}


@dataclass
class Row:
    number: int
    data: dict
    clean: dict
    org_name: str = ""
    job_title: str = ""
    tag_names: list = field(default_factory=list)
    digest: str = ""
    match: int | None = None  # id of the existing person this row duplicates
    merged_into: "Row | None" = None  # an earlier row of the same chunk it duplicates

    @cached_property
    def keys(self) -> list[str]:
        """Normalised identifiers two rows must not share: phones, e-mails, national ID."""
        keys = [f"p:{p['number']}" for p in self.clean.get("phones", [])]
        keys += [f"e:{e['address']}" for e in self.clean.get("emails", [])]
        if self.clean.get("national_id"):
            keys.append(f"n:{self.clean['national_id']}")
        return keys

    @cached_property
    def name(self) -> str:
        return search_key(f"{self.clean.get('first_name', '')} {self.clean['last_name']}")

    @cached_property
    def org_key(self) -> str:
        return search_key(self.org_name)


class Importer:
    def __init__(self, job: ImportJob, progress: Callable[[ImportJob], None] | None = None):
        self.job = job
        self.actor = job.created_by
        self.progress = progress or (lambda job: None)
        self.converter = RowConverter(job.mapping, job.headers)
        self.definitions = list(definitions("person"))
        self.person_type = ContentType.objects.get_for_model(Person)
        self.org_type = ContentType.objects.get_for_model(Organization)
        self.tags: dict[str, Tag] = {}
        self.job_tags = [name for name in job.tags if str(name).strip()]

    # ---- the loop ------------------------------------------------------------------------

    def run(self) -> ImportJob:
        job = self.job
        with translation.override(self.actor.language):
            table = open_table(job.file.path, format=job.format, sheet=job.sheet or None)
            if not claim(job):
                return job
            if job.total_rows is None:
                job.total_rows = count_rows(table)
            job.started_at = job.started_at or timezone.now()
            job.save(update_fields=["total_rows", "started_at"])
            resume_after = job.chunks.aggregate(last=Max("last_row"))["last"] or 0
            batch: list[tuple[int, list[str]]] = []
            for number, values in table.rows():
                if number <= resume_after:
                    continue
                batch.append((number, values))
                if len(batch) == CHUNK_ROWS:
                    if not self._next_chunk(batch):
                        return job
                    batch = []
            if batch and not self._next_chunk(batch):
                return job
            job.status = ImportJob.Status.DONE
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "finished_at"])
            if job.created_count >= STATISTICS_AFTER:
                refresh_statistics()  # the planner's row counts are now far off
            self.progress(job)
        return job

    def _next_chunk(self, batch) -> bool:
        """Commit one chunk; False when the user cancelled the import meanwhile."""
        job = self.job
        if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            job.status = ImportJob.Status.CANCELLED
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "finished_at"])
            self.progress(job)
            return False
        with transaction.atomic():
            self._write_chunk(batch)
        self.progress(job)
        return True

    def _write_chunk(self, batch) -> None:
        job = self.job
        chunk = ImportChunk(job=job, first_row=batch[0][0], last_row=batch[-1][0])
        issues: list[ImportIssue] = []
        rows = [row for row in (self._clean(n, v, issues) for n, v in batch) if row]
        self._match(rows)
        new_rows = [r for r in rows if r.match is None and r.merged_into is None]
        duplicates = [r for r in rows if r.match is not None or r.merged_into is not None]
        skipped = self._apply_policy(duplicates, chunk, issues)
        self._create(new_rows, chunk)
        chunk.save()
        ImportIssue.objects.bulk_create(issues, batch_size=500)
        job.processed_rows += len(batch)
        job.created_count += len(new_rows)
        job.updated_count += len(chunk.updates)
        job.skipped_count += skipped
        job.rejected_count += len({issue.row_number for issue in issues})
        job.heartbeat_at = timezone.now()
        job.save(
            update_fields=[
                "heartbeat_at",
                "processed_rows",
                "created_count",
                "updated_count",
                "skipped_count",
                "rejected_count",
            ]
        )

    # ---- validation ----------------------------------------------------------------------

    def _clean(self, number: int, values: list[str], issues: list) -> Row | None:
        row, problems = read_row(self.converter, self.job, number, values, self.definitions)
        issues.extend(
            ImportIssue(job=self.job, row_number=number, column=column, message=message)
            for column, message in problems
        )
        return row

    # ---- duplicates ----------------------------------------------------------------------

    def _match(self, rows: list[Row]) -> None:
        """Mark each row that repeats an existing person or an earlier row of this chunk:
        the same fingerprint, phone, e-mail or national ID, else a very similar name in the
        same organisation."""
        existing, members = self._existing(rows)
        seen: dict[str, Row] = {}
        seen_members: dict[str, list[tuple[str, str, Row]]] = {}
        for row in rows:
            keys = [f"d:{row.digest}", *row.keys]
            row.match = next((existing[k] for k in keys if k in existing), None)
            if row.match is None and row.org_key:
                row.match = _similar(row, members.get(row.org_key, []))
            if row.match is not None:
                continue
            row.merged_into = next((seen[k] for k in keys if k in seen), None)
            if row.merged_into is None and row.org_key:
                row.merged_into = _similar(row, seen_members.get(row.org_key, []))
            first = row.merged_into or row
            seen.update(dict.fromkeys(keys, first))
            if row.merged_into is None and row.org_key:
                seen_members.setdefault(row.org_key, []).append(
                    (row.name, row.clean.get("national_id", ""), row)
                )

    def _existing(self, rows: list[Row]) -> tuple[dict[str, int], dict[str, list]]:
        """Key → id of a live person already stored with it, and the members (normalised
        name, id) of the organisations the rows name: a few queries per chunk."""
        phones = {p["number"] for r in rows for p in r.clean.get("phones", [])}
        emails = {e["address"] for r in rows for e in r.clean.get("emails", [])}
        national_ids = {r.clean["national_id"] for r in rows if r.clean.get("national_id")}
        found: dict[str, int] = {}
        live = {"person__deleted_at__isnull": True}
        for number, pk in Phone.objects.filter(number__in=phones, **live).values_list(
            "number", "person_id"
        ):
            found.setdefault(f"p:{number}", pk)
        for address, pk in Email.objects.filter(address__in=emails, **live).values_list(
            "address", "person_id"
        ):
            found.setdefault(f"e:{address}", pk)
        for national_id, pk in Person.objects.filter(national_id__in=national_ids).values_list(
            "national_id", "pk"
        ):
            found.setdefault(f"n:{national_id}", pk)
        fingerprints = dict(
            ImportFingerprint.objects.filter(digest__in=[r.digest for r in rows]).values_list(
                "digest", "person_id"
            )
        )
        alive = set(
            Person.objects.filter(pk__in=fingerprints.values()).values_list("pk", flat=True)
        )
        found.update({f"d:{d}": pk for d, pk in fingerprints.items() if pk in alive})
        members: dict[str, list] = {}
        org_names = {r.org_name for r in rows if r.org_name}
        if org_names:
            for org_name, first, last, national_id, pk in Membership.objects.filter(
                organization__name_key__in={sort_key(n) for n in org_names},
                organization__deleted_at__isnull=True,
                person__deleted_at__isnull=True,
            ).values_list(
                "organization__name",
                "person__first_name",
                "person__last_name",
                "person__national_id",
                "person_id",
            )[:MEMBERS_LIMIT]:
                members.setdefault(search_key(org_name), []).append(
                    (search_key(f"{first} {last}"), national_id, pk)
                )
        return found, members

    def _apply_policy(self, rows: list[Row], chunk: ImportChunk, issues: list) -> int:
        """Skip, fill in or overwrite the records these rows repeat; return how many skipped."""
        policy = self.job.policy
        skipped = 0
        writable = set(
            visible(
                Person.objects.filter(pk__in={r.match for r in rows if r.match}), self.actor
            ).values_list("pk", flat=True)
        )
        for row in rows:
            if policy == DuplicatePolicy.SKIP:
                skipped += 1
            elif row.merged_into is not None:
                _merge_into(row.merged_into.clean, row.clean, policy)
            elif row.match not in writable:
                issues.append(
                    ImportIssue(
                        job=self.job,
                        row_number=row.number,
                        message=_("This row matches a record you may not change."),
                    )
                )
            elif not self._update(row, chunk):
                skipped += 1
        return skipped

    def _update(self, row: Row, chunk: ImportChunk) -> bool:
        """Write the row onto its existing person; False when nothing would change."""
        person = Person.objects.prefetch_related(*CONTACT_LISTS).get(pk=row.match)
        before = _as_input(person)
        changes = {}
        for name in SCALARS:
            if _takes(self.job.policy, before.get(name), row.clean.get(name)):
                changes[name] = row.data[name]
        for name in CONTACT_LISTS:
            added = _new_items(before.get(name, []), row.clean.get(name, []), name)
            if added:
                changes[name] = before.get(name, []) + [_as_item(name, i) for i in added]
        if not changes:
            return False
        try:
            # The import's own duplicate policy has matched this row to this person.
            customers.update_person(self.actor, person, changes, allow_duplicate=True)
        except (ValidationError, PermissionDenied):
            return False
        chunk.updates.append({"id": person.pk, "before": {k: before.get(k) for k in changes}})
        return True

    # ---- creating ------------------------------------------------------------------------

    def _create(self, rows: list[Row], chunk: ImportChunk) -> None:
        """Insert the new people and everything that belongs to them, table by table."""
        if not rows:
            return
        now = timezone.now()
        orgs = self._organizations({r.org_name for r in rows if r.org_name}, chunk, now)
        people, audits, fingerprints = [], [], []
        children: dict = {model: [] for model in (Membership, Person.tags.through)}
        for pk, row in zip(reserve_ids(Person, len(rows)), rows, strict=True):
            clean = row.clean
            org = orgs.get(search_key(row.org_name)) if row.org_name else None
            if org is not None:
                children[Membership].append(
                    {"person_id": pk, "organization_id": org.pk, "job_title": row.job_title}
                )
            for model, item in _contact_rows(pk, clean):
                children.setdefault(model, []).append(item)
            children[Person.tags.through] += [
                {"person_id": pk, "tag_id": tag.pk}
                for tag in self._tags(row.tag_names + self.job_tags)
            ]
            name_key, search_text = customers.person_keys(
                clean.get("first_name", ""),
                clean["last_name"],
                clean.get("national_id", ""),
                org_names=[org.name] if org else [],
                phones=[p["number"] for p in clean.get("phones", [])],
                emails=[e["address"] for e in clean.get("emails", [])],
                handles=[h["handle"] for h in clean.get("social_handles", [])],
            )
            person = {name: clean[name] for name in SCALARS if name in clean}
            person.update(
                id=pk,
                owner_id=clean["owner"].pk,
                team_id=clean["team"].pk if clean["team"] else None,
                custom=clean.get("custom") or {},
                created_by_id=self.actor.pk,
                created_at=now,
                name_key=name_key,
                search_text=search_text,
                source=clean.get("source") or "import",
            )
            people.append(person)
            repr_ = f"{person.get('first_name', '')} {person['last_name']}".strip()
            audits.append(self._audit(pk, repr_, self.person_type, now))
            fingerprints.append({"digest": row.digest, "person_id": pk, "job_id": self.job.pk})
        insert_values(Person, people)
        for model, items in children.items():
            insert_values(model, items)
        insert_values(AuditEvent, audits)
        insert_values(ImportFingerprint, fingerprints)
        chunk.created_people = [p["id"] for p in people]

    def _organizations(self, names: set[str], chunk: ImportChunk, now) -> dict[str, Organization]:
        """The organisations these rows name: visible ones reused, missing ones created."""
        wanted = {search_key(n): n for n in names}
        found = {
            search_key(org.name): org
            for org in visible_organizations(self.actor).filter(
                name_key__in=[sort_key(n) for n in names]
            )
        }
        missing = [key for key in wanted if key not in found]
        created = []
        for pk, key in zip(reserve_ids(Organization, len(missing)), missing, strict=True):
            org = Organization(
                pk=pk,
                name=wanted[key][:200],
                owner=self.actor,
                team=self.actor.primary_team,
                created_by=self.actor,
                created_at=now,
                source="import",
            )
            org.name_key, org.search_text = customers.customer_keys(org)
            created.append(org)
            found[key] = org
        insert_rows(Organization, created)
        insert_values(AuditEvent, [self._audit(o.pk, o.name, self.org_type, now) for o in created])
        chunk.created_organizations = [o.pk for o in created]
        return found

    def _tags(self, names: list[str]) -> list[Tag]:
        tags = []
        for name in names:
            key = search_key(name)[:60]
            if key and key not in self.tags:
                self.tags[key] = Tag.objects.filter(key=key).first() or customers.create_tag(
                    self.actor, name=name.strip()[:60]
                )
            if key and self.tags[key] not in tags:
                tags.append(self.tags[key])
        return tags

    def _audit(self, pk: int, label: str, content_type, now) -> dict:
        return {
            "at": now,
            "actor_id": self.actor.pk,
            "action": AuditEvent.Action.CREATE,
            "content_type_id": content_type.pk,
            "object_id": pk,
            "object_repr": label[:300],
            "subject_type_id": content_type.pk,
            "subject_id": pk,
            "changes": {"import": [None, self.job.file_name]},
        }


# ---- helpers ------------------------------------------------------------------------------


def read_row(converter: RowConverter, job: ImportJob, number: int, values: list[str], known):
    """The row cleaned by the form's rules, or None and its (column, reason) problems.

    ``known`` are the active custom-field definitions, read once per import.
    """
    data, columns = converter.convert(values)
    org_name = data.pop("organization_name", "")
    job_title = data.pop("job_title", "")
    tag_names = data.pop("tag_names", [])
    try:
        clean = customers.validate_person(job.created_by, data, custom_definitions=known)
    except ValidationError as exc:
        problems = []
        for key, messages in exc.message_dict.items():
            column = converter.column_for(key, columns)
            header = job.headers[column] if column is not None else ""
            problems += [(header, message) for message in messages]
        return None, problems
    digest = hashlib.blake2b(
        json.dumps(
            [data, org_name, job_title, sorted(tag_names)], sort_keys=True, default=str
        ).encode(),
        digest_size=16,
    ).hexdigest()
    return Row(number, data, clean, org_name, job_title, tag_names, digest), []


def _contact_rows(person_id: int, clean: dict):
    """(model, row) pairs of the person's phones, e-mails, addresses and handles."""
    for name, (model, _key) in CONTACT_LISTS.items():
        for position, item in enumerate(clean.get(name, [])):
            row = {"person_id": person_id, "position": position, **item}
            if name == "addresses":
                row["province_id"] = getattr(row.pop("province"), "pk", None)
                row["city_id"] = getattr(row.pop("city"), "pk", None)
            yield model, row


def _identity(name: str, item: dict):
    key = CONTACT_LISTS[name][1]
    if key:
        return str(item[key]).lower()
    province = item.get("province")
    city = item.get("city")
    return (
        getattr(province, "pk", province),
        getattr(city, "pk", city),
        search_key(item.get("line")),
        item.get("postal_code"),
    )


def _new_items(current: list[dict], incoming: list[dict], name: str) -> list[dict]:
    known = {_identity(name, item) for item in current}
    return [item for item in incoming if _identity(name, item) not in known]


def _as_item(name: str, item: dict) -> dict:
    """A cleaned contact item in the shape the service accepts as input."""
    if name == "addresses":
        return {k: getattr(v, "pk", v) for k, v in item.items()}
    return dict(item)


def _input_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _as_input(person: Person) -> dict:
    """The person's importable values in service input form (what undo writes back)."""
    values = {name: _input_value(getattr(person, name)) for name in SCALARS}
    return values | person.contact_lists()


def _similar(row: Row, candidates: list[tuple[str, str, object]]):
    """The (name, national ID, match) candidate whose normalised name is the row's, spelt or
    ordered differently (rapidfuzz's token sort ratio, so swapped first and last names
    match); two different national IDs are two people, however alike their names."""
    national_id = row.clean.get("national_id")
    possible = [c for c in candidates if not (national_id and c[1] and c[1] != national_id)]
    best = process.extractOne(
        row.name,
        [c[0] for c in possible],
        scorer=fuzz.token_sort_ratio,
        score_cutoff=NAME_SIMILARITY,
    )
    return possible[best[2]][2] if best else None


def _takes(policy: str, current, incoming) -> bool:
    """Whether an incoming value replaces the current one under the import's policy."""
    if incoming in (None, "") or _input_value(incoming) == _input_value(current):
        return False
    return policy == DuplicatePolicy.OVERWRITE or current in (None, "")


def _merge_into(target: dict, clean: dict, policy: str) -> None:
    """Fold a repeated row of the same chunk into the first one, by the import's policy."""
    for name in SCALARS:
        value = clean.get(name)
        if value not in (None, "") and (
            policy == DuplicatePolicy.OVERWRITE or not target.get(name)
        ):
            target[name] = value
    for name in CONTACT_LISTS:
        target[name] = target.get(name, []) + _new_items(
            target.get(name, []), clean.get(name, []), name
        )


def claim(job: ImportJob) -> bool:
    """Take the job for this runner: a queued one, or a running one whose runner died."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PEYVAND["IMPORT_STALE_SECONDS"])
    taken = (
        ImportJob.objects.filter(pk=job.pk)
        .filter(
            Q(status=ImportJob.Status.QUEUED)
            | Q(status=ImportJob.Status.RUNNING, heartbeat_at__lt=stale)
            | Q(status=ImportJob.Status.RUNNING, heartbeat_at__isnull=True)
        )
        .update(status=ImportJob.Status.RUNNING, heartbeat_at=now)
    )
    if taken:
        job.status, job.heartbeat_at = ImportJob.Status.RUNNING, now
    return bool(taken)


def interrupted_jobs():
    """Imports whose runner stopped without finishing them (e.g. a killed worker)."""
    stale = timezone.now() - timedelta(seconds=settings.PEYVAND["IMPORT_STALE_SECONDS"])
    return ImportJob.objects.filter(
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))


def run(job: ImportJob, progress=None) -> ImportJob:
    """Run (or resume) ``job``; a broken file fails the job with the reader's message."""
    try:
        return Importer(job, progress).run()
    except ImportFileError as exc:
        job.status = ImportJob.Status.FAILED
        job.error = str(exc)
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        return job
