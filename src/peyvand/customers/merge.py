"""Merging one person into another, and undoing it exactly.

The survivor takes the chosen value of each field; every row of every model that points
at the other person moves to the survivor. The relations are found from the model
graph (``Person._meta`` reverse relations, hidden ones included, which covers the
tables behind many-to-many fields), so relations that later apps add (deals, tickets)
move too without a change here. A row the survivor already has (the same phone, tag,
organisation or consent channel) is not moved: it stays with the other person, and the
merge records it as skipped; for a consent the newer answer wins. The other person goes
to the trash. The ``Merge`` row keeps what moved, what was skipped or overwritten and the
survivor's values before, so ``undo_merge`` puts everything back.
"""

import datetime as dt

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import UniqueConstraint
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.core import audit, records
from peyvand.core.models import AuditEvent
from peyvand.core.visibility import can_see, require_delete, require_write

from .custom_fields import definitions
from .models import (
    CUSTOMER_FIELDS,
    PERSON_FIELDS,
    Address,
    Consent,
    DuplicatePair,
    Email,
    Merge,
    Person,
    Phone,
    SocialHandle,
)
from .services import refresh_keys

# The person's own fields a merge chooses between; "owner" carries the team with it.
FIELDS = (*PERSON_FIELDS, *CUSTOMER_FIELDS, "owner")
SURVIVOR, OTHER = "survivor", "other"
# Contact points have no unique constraint, yet two with these values are the same one.
SAME_ROW = {
    Phone: ("number",),
    Email: ("address",),
    SocialHandle: ("network", "handle"),
    Address: ("province_id", "city_id", "line", "postal_code"),
}
# Records about people rather than of them: they stay where they are.
NOT_MOVED = (DuplicatePair, Merge)
# A person's memberships are what the audit and the forms call their organisations.
LABEL_OF = {"memberships": "organizations"}
ID_CHUNK = 500


# ---- the relations ----------------------------------------------------------------------


class Link:
    """One foreign key to Person on some model; ``identity`` says when two rows clash:
    None never, () always (one row per person), else equal values of these columns."""

    def __init__(self, model, field, identity, accessor):
        self.model, self.field, self.identity = model, field, identity
        self.label = model._meta.label_lower
        self.accessor = accessor  # the name on Person: phones, activities, ...

    def rows(self, person):
        return self.model._base_manager.filter(**{self.field: person})

    def key(self, row):
        return tuple(getattr(row, name) for name in self.identity)

    @property
    def verbose_name(self) -> str:
        # Contact points and tags have no translated verbose names; the audit names them.
        labels = Person.audit_labels()
        creator = self.model._meta.auto_created
        if creator:  # the table behind a many-to-many field: name it by that field
            m2m = next(
                f for f in creator._meta.many_to_many if f.remote_field.through is self.model
            )
            return str(labels.get(m2m.name, m2m.verbose_name))
        name = LABEL_OF.get(self.accessor, self.accessor)
        return str(labels.get(name, self.model._meta.verbose_name_plural))


def _unique_sets(model) -> list[tuple]:
    sets = [
        tuple(c.fields)
        for c in model._meta.constraints
        if isinstance(c, UniqueConstraint) and c.fields and c.condition is None
    ]
    return sets + [tuple(names) for names in model._meta.unique_together]


def _identity(model, fk) -> tuple | None:
    if model in SAME_ROW:
        return SAME_ROW[model]
    if fk.unique:
        return ()
    for names in _unique_sets(model):
        if fk.name in names:
            return tuple(model._meta.get_field(n).attname for n in names if n != fk.name)
    return None


def links() -> list[Link]:
    """Every foreign key that points at Person, except those in NOT_MOVED."""
    found = []
    for relation in Person._meta.get_fields(include_hidden=True):
        if relation.concrete or not (relation.one_to_many or relation.one_to_one):
            continue
        model = relation.related_model
        if issubclass(model, NOT_MOVED):
            continue
        identity = _identity(model, relation.field)
        found.append(Link(model, relation.field.name, identity, relation.get_accessor_name()))
    return found


# ---- field values -----------------------------------------------------------------------


def _custom_keys(*people) -> list[str]:
    keys = [d.key for d in definitions("person")]
    for person in people:
        keys += [k for k in (person.custom or {}) if k not in keys]
    return keys


def field_names(survivor, other) -> list[str]:
    return [*FIELDS, *(f"custom.{key}" for key in _custom_keys(survivor, other))]


def values(person, names) -> dict:
    """``{field: JSON value}`` of ``person``: what a merge chooses and an undo restores."""
    result = {}
    for name in names:
        if name == "owner":
            result[name] = [person.owner_id, person.team_id]
        elif name.startswith("custom."):
            result[name] = (person.custom or {}).get(name.removeprefix("custom."))
        elif name == "birthday":
            result[name] = person.birthday.isoformat() if person.birthday else None
        else:
            result[name] = getattr(person, name)
    return result


def _apply(person, chosen: dict) -> None:
    custom = dict(person.custom or {})
    for name, value in chosen.items():
        if name == "owner":
            person.owner_id, person.team_id = value
        elif name.startswith("custom."):
            key = name.removeprefix("custom.")
            if value is None:
                custom.pop(key, None)
            else:
                custom[key] = value
        elif name == "birthday":
            person.birthday = dt.date.fromisoformat(value) if value else None
        else:
            setattr(person, name, value)
    person.custom = custom


def _empty(value) -> bool:
    return value in (None, "", [], {})


def default_choices(survivor, other) -> dict:
    """The survivor's value, unless it is empty and the other person has one."""
    names = field_names(survivor, other)
    mine, theirs = values(survivor, names), values(other, names)
    return {
        name: OTHER if _empty(mine[name]) and not _empty(theirs[name]) else SURVIVOR
        for name in names
    }


def _clean_choices(survivor, other, choices) -> dict:
    clean = default_choices(survivor, other)
    if choices is None:
        return clean
    if not isinstance(choices, dict):
        raise ValidationError({"choices": [_("Expected an object of field: survivor or other.")]})
    errors = {}
    for name, side in choices.items():
        if name not in clean:
            errors[f"choices.{name}"] = [_("There is no such field.")]
        elif side not in (SURVIVOR, OTHER):
            errors[f"choices.{name}"] = [_("Choose survivor or other.")]
        else:
            clean[name] = side
    if errors:
        raise ValidationError(errors)
    return clean


# ---- merge ------------------------------------------------------------------------------


def _keep_newer_consent(kept: Consent, duplicate: Consent) -> dict | None:
    """The survivor's consent on a channel takes the other's answer when that is newer;
    returns the values it had, for undo."""
    if duplicate.recorded_at <= kept.recorded_at:
        return None
    before = {
        "granted": kept.granted,
        "source": kept.source,
        "recorded_at": kept.recorded_at.isoformat(),
    }
    Consent.objects.filter(pk=kept.pk).update(
        granted=duplicate.granted, source=duplicate.source, recorded_at=duplicate.recorded_at
    )
    return before


ON_CLASH = {Consent: _keep_newer_consent}


def _clashes(link: Link, survivor, other):
    """(survivor's row, other's row) for each row of ``other`` the survivor already has."""
    if link.identity is None:
        return
    kept = {link.key(row): row for row in link.rows(survivor)}
    if not kept:
        return
    for row in link.rows(other):
        twin = kept.get(link.key(row))
        if twin is not None:
            yield twin, row


def _move_rows(survivor, other) -> tuple[list, list, list]:
    moved, skipped, updated = [], [], []
    for link in links():
        staying = []
        for twin, row in _clashes(link, survivor, other):
            staying.append(row.pk)
            skipped.append({"model": link.label, "pk": row.pk, "kept": twin.pk})
            before = ON_CLASH[link.model](twin, row) if link.model in ON_CLASH else None
            if before is not None:
                updated.append({"model": link.label, "pk": twin.pk, "before": before})
        moving = link.rows(other).exclude(pk__in=staying)
        pks = list(moving.values_list("pk", flat=True))
        if pks:
            for start in range(0, len(pks), ID_CHUNK):
                link.rows(other).filter(pk__in=pks[start : start + ID_CHUNK]).update(
                    **{link.field: survivor}
                )
            moved.append({"model": link.label, "field": link.field, "pks": pks})
    return moved, skipped, updated


def _label(person) -> str:
    return f"{person} (#{person.pk})"


def _locked_live(actor, pk, field: str) -> Person:
    """The live person, locked; one answer for "no such id" and "not yours to see"."""
    try:
        person = records.locked(Person, pk)
    except Person.DoesNotExist:
        person = None
    if person is None or person.deleted_at is not None or not can_see(actor, person):
        raise ValidationError({field: [_("There is no such person.")]})
    return person


@transaction.atomic
def merge_people(actor, survivor, other, choices=None, versions=None) -> Merge:
    """Merge ``other`` into ``survivor``.

    ``choices`` maps a field (see ``field_names``) to "survivor" or "other"; fields left
    out keep the survivor's value unless it is empty. ``versions`` ({"survivor": 3,
    "other": 2}) refuses a merge of records changed since the user compared them.
    """
    require_write(actor)
    if survivor.pk == other.pk:
        raise ValidationError({"other": [_("Choose two different people.")]})
    if not can_see(actor, survivor):
        raise Http404
    # Locked in id order, so two merges of the same pair cannot deadlock.
    locked = {
        pk: _locked_live(actor, pk, field)
        for pk, field in sorted([(survivor.pk, "survivor"), (other.pk, "other")])
    }
    survivor, other = locked[survivor.pk], locked[other.pk]
    require_delete(actor, other)  # the other person goes to the trash
    versions = versions or {}
    records.check_version(survivor, versions.get(SURVIVOR))
    records.check_version(other, versions.get(OTHER))
    chosen = _clean_choices(survivor, other, choices)

    snapshot = survivor.audit_snapshot()
    before = values(survivor, chosen)
    theirs = values(other, chosen)
    after = {
        name: before[name] if side == SURVIVOR else theirs[name] for name, side in chosen.items()
    }
    _apply(survivor, after)
    moved, skipped, updated = _move_rows(survivor, other)
    survivor.version += 1
    survivor.save()
    refresh_keys(survivor)
    changes = audit.diff(snapshot, survivor.audit_snapshot())
    changes["merged"] = [None, _label(other)]
    audit.record(actor, survivor, AuditEvent.Action.MERGE, changes)
    audit.record(actor, other, AuditEvent.Action.MERGE, {"merged_into": [None, _label(survivor)]})
    records.trash(actor, other)
    _set_pair_status(survivor, other, DuplicatePair.Status.MERGED, actor)
    return Merge.objects.create(
        survivor=survivor,
        merged=other,
        actor=actor,
        choices=chosen,
        survivor_before=before,
        survivor_after=after,
        moved=moved,
        skipped=skipped,
        updated=updated,
    )


def _set_pair_status(a, b, status, actor) -> None:
    DuplicatePair.objects.filter(person_a_id=min(a.pk, b.pk), person_b_id=max(a.pk, b.pk)).update(
        status=status,
        decided_by=actor if status != DuplicatePair.Status.OPEN else None,
        decided_at=timezone.now() if status != DuplicatePair.Status.OPEN else None,
    )


# ---- undo -------------------------------------------------------------------------------


@transaction.atomic
def undo_merge(actor, merge: Merge) -> Merge:
    """Put back what ``merge`` did: rows return to the merged person, overwritten rows get
    their values back, the merged person leaves the trash, and the survivor's fields
    return to their values before, except those someone has changed since the merge."""
    require_write(actor)
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    locked = {pk: records.locked(Person, pk) for pk in sorted([merge.survivor_id, merge.merged_id])}
    survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
    if not (can_see(actor, survivor) and can_see(actor, merged)):
        raise Http404
    if merge.undone_at is not None:
        raise ValidationError(_("This merge has already been undone."))
    require_delete(actor, merged)

    snapshot = survivor.audit_snapshot()
    for group in reversed(merge.moved):
        model, field = apps.get_model(group["model"]), group["field"]
        pks = group["pks"]
        for start in range(0, len(pks), ID_CHUNK):
            model._base_manager.filter(
                pk__in=pks[start : start + ID_CHUNK], **{field: survivor}
            ).update(**{field: merged})
    for row in merge.updated:
        apps.get_model(row["model"])._base_manager.filter(pk=row["pk"]).update(**row["before"])
    current = values(survivor, merge.survivor_after)
    _apply(
        survivor,
        {
            name: merge.survivor_before[name]
            for name, value in merge.survivor_after.items()
            if current[name] == value
        },
    )
    survivor.version += 1
    survivor.save()
    refresh_keys(survivor)
    changes = audit.diff(snapshot, survivor.audit_snapshot())
    changes["merge_undone"] = [_label(merged), None]
    audit.record(actor, survivor, AuditEvent.Action.UPDATE, changes)
    if merged.deleted_at is not None:
        records.restore(actor, merged)
    refresh_keys(merged)
    _set_pair_status(survivor, merged, DuplicatePair.Status.OPEN, actor)
    merge.undone_at, merge.undone_by = timezone.now(), actor
    merge.save(update_fields=["undone_at", "undone_by"])
    return merge


# ---- comparing, for the merge screen ----------------------------------------------------


def related_counts(survivor, other) -> list[dict]:
    """How many rows of each relation each person has: what the merge will move."""
    counts = []
    for link in links():
        mine, theirs = link.rows(survivor).count(), link.rows(other).count()
        if mine or theirs:
            counts.append(
                {"model": link.label, "label": link.verbose_name, "survivor": mine, "other": theirs}
            )
    return counts


def _display(person, name):
    if name == "owner":
        return f"{person.owner} — {person.team}" if person.team_id else str(person.owner)
    if name.startswith("custom."):
        value = (person.custom or {}).get(name.removeprefix("custom."))
        return ", ".join(map(str, value)) if isinstance(value, list) else value
    display = getattr(person, f"get_{name}_display", None)
    return display() if display else getattr(person, name)


def compare(survivor, other) -> list[dict]:
    """One row per field: both values as shown, and which one the merge keeps by default."""
    labels = {d.key: d.label for d in definitions("person")}
    defaults = default_choices(survivor, other)
    rows = []
    for name in field_names(survivor, other):
        if name.startswith("custom."):
            label = labels.get(name.removeprefix("custom."), name.removeprefix("custom."))
        else:
            label = Person._meta.get_field(name).verbose_name
        mine, theirs = _display(survivor, name), _display(other, name)
        rows.append(
            {
                "name": name,
                "label": label,
                "survivor": mine,
                "other": theirs,
                "choices": [(SURVIVOR, mine), (OTHER, theirs)],
                "default": defaults[name],
                "differs": mine != theirs,
                "is_date": name == "birthday",
            }
        )
    return rows
