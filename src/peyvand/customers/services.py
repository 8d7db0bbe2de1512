"""Writes on people, organisations, tags and custom-field definitions.

Every operation validates its whole input first (one ValidationError naming each bad
field), normalises on write (E.164 phones, lower-case e-mails, ASCII IDs, search keys),
checks the caller's rights and the record's version, and audits what changed.
"""

import functools
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from iranian_cities.models import City, Province

from peyvand.accounts.models import Team, User
from peyvand.core import jalali, records, validation
from peyvand.core.errors import PossibleDuplicateError
from peyvand.core.identifiers import (
    normalize_economic_code,
    normalize_legal_id,
    normalize_national_id,
)
from peyvand.core.persian import search_key, sort_key, to_ascii_digits
from peyvand.core.phone import normalize_phone
from peyvand.core.validation import FieldErrors, as_list, choice, text
from peyvand.core.visibility import require_delete, require_write

from . import duplicates
from .custom_fields import clean_custom
from .models import (
    Address,
    Channel,
    Consent,
    ConsentChannel,
    CustomFieldDefinition,
    Email,
    Gender,
    LifecycleStage,
    Membership,
    Organization,
    Person,
    Phone,
    SocialHandle,
    Source,
    Tag,
)

_HANDLE = re.compile(r"^@?[A-Za-z0-9_.]{2,64}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


# ---- cleaning ---------------------------------------------------------------------------


def clean_owner(actor, data, errors: FieldErrors, current: User | None) -> tuple[User, Team | None]:
    owner = current or actor
    if data.get("owner") not in (None, ""):
        owner = User.objects.filter(pk=_int_or_none(data["owner"]), is_active=True).first()
        if owner is None:
            errors.add("owner", _("There is no active user with this id."))
            return current or actor, None
        if (
            not actor.is_admin
            and owner.pk != actor.pk
            and not set(owner.team_ids) & set(actor.team_ids)
        ):
            errors.add("owner", _("You may assign records only to members of your teams."))
    team = owner.primary_team
    if data.get("team") not in (None, ""):
        team = Team.objects.filter(pk=_int_or_none(data["team"])).first()
        if team is None or (not actor.is_admin and team.pk not in actor.team_ids):
            errors.add("team", _("Choose one of your teams."))
    return owner, team


def _int_or_none(value):
    try:
        return int(to_ascii_digits(str(value)))
    except (TypeError, ValueError):
        return None


def _clean_phones(raw, errors: FieldErrors) -> list[dict]:
    phones, seen = [], set()
    for i, item in enumerate(as_list(raw, "phones", errors)):
        item = item if isinstance(item, dict) else {"number": item}
        number = errors.check(
            f"phones.{i}.number", lambda v=item.get("number"): normalize_phone(str(v or ""))
        )
        kind = errors.check(
            f"phones.{i}.kind", lambda v=item.get("kind") or "mobile": choice(v, Phone.Kind.values)
        )
        if number and number not in seen:
            seen.add(number)
            phones.append({"number": number, "kind": kind or Phone.Kind.MOBILE})
    return phones


def _clean_emails(raw, errors: FieldErrors) -> list[dict]:
    emails, seen = [], set()
    for i, item in enumerate(as_list(raw, "emails", errors)):
        item = item if isinstance(item, dict) else {"address": item}
        address = errors.check(
            f"emails.{i}.address", lambda v=item.get("address"): validation.email(v, required=True)
        )
        kind = errors.check(
            f"emails.{i}.kind", lambda v=item.get("kind") or "work": choice(v, Email.Kind.values)
        )
        if address and address not in seen:
            seen.add(address)
            emails.append({"address": address, "kind": kind or Email.Kind.WORK})
    return emails


def _postal_code(value) -> str:
    code = to_ascii_digits(text(value, max_length=20)).replace("-", "").replace(" ", "")
    if code and (not code.isdigit() or len(code) != 10):
        raise ValidationError(_("A postal code has 10 digits."))
    return code


def _clean_addresses(raw, errors: FieldErrors) -> list[dict]:
    addresses = []
    for i, item in enumerate(as_list(raw, "addresses", errors)):
        if not isinstance(item, dict):
            errors.add(f"addresses.{i}", _("Expected an address object."))
            continue
        province = city = None
        if item.get("province") not in (None, ""):
            province = Province.objects.filter(pk=_int_or_none(item["province"])).first()
            if province is None:
                errors.add(f"addresses.{i}.province", _("Choose a province from the list."))
        if item.get("city") not in (None, ""):
            city = City.objects.filter(pk=_int_or_none(item["city"])).first()
            if city is None:
                errors.add(f"addresses.{i}.city", _("Choose a city from the list."))
            elif province and city.province_id != province.pk:
                errors.add(f"addresses.{i}.city", _("This city is not in the chosen province."))
            elif province is None:
                province = city.province
        line = errors.check(
            f"addresses.{i}.line", lambda v=item.get("line"): text(v, max_length=300)
        )
        postal = errors.check(
            f"addresses.{i}.postal_code", lambda v=item.get("postal_code"): _postal_code(v)
        )
        kind = errors.check(
            f"addresses.{i}.kind",
            lambda v=item.get("kind") or "home": choice(v, Address.Kind.values),
        )
        if province or city or line or postal:
            addresses.append(
                {
                    "province": province,
                    "city": city,
                    "line": line or "",
                    "postal_code": postal or "",
                    "kind": kind or "home",
                }
            )
    return addresses


def _handle(value) -> str:
    handle = text(value, max_length=100, required=True)
    if not _HANDLE.match(handle):
        raise ValidationError(_("A handle has 2 to 64 Latin letters, digits, dots or underscores."))
    return handle.lstrip("@")


def _clean_handles(raw, errors: FieldErrors) -> list[dict]:
    handles = []
    for i, item in enumerate(as_list(raw, "social_handles", errors)):
        if not isinstance(item, dict):
            errors.add(f"social_handles.{i}", _("Expected a handle object."))
            continue
        network = errors.check(
            f"social_handles.{i}.network",
            lambda v=item.get("network"): choice(v, SocialHandle.Network.values, required=True),
        )
        handle = errors.check(f"social_handles.{i}.handle", lambda v=item.get("handle"): _handle(v))
        if network and handle:
            handles.append({"network": network, "handle": handle})
    return handles


def _clean_tags(raw, errors: FieldErrors) -> list[Tag]:
    tags = []
    for i, item in enumerate(as_list(raw, "tags", errors, limit=100)):
        tag = None
        if isinstance(item, int) or (isinstance(item, str) and to_ascii_digits(item).isdigit()):
            tag = Tag.objects.filter(pk=_int_or_none(item)).first()
        elif isinstance(item, str) and item.strip():
            tag = Tag.objects.filter(key=search_key(item)).first()
        if tag is None:
            errors.add(f"tags.{i}", _("There is no such tag."))
        else:
            tags.append(tag)
    return tags


def _birthday(value):
    if value in (None, ""):
        return None
    if hasattr(value, "year"):
        day = value
    else:
        try:
            day = jalali.parse_date(str(value))
        except jalali.JalaliInputError as exc:
            raise ValidationError(str(exc)) from None
    if day > timezone.localdate():
        raise ValidationError(_("A birthday cannot be in the future."))
    if day.year < 1900:
        raise ValidationError(_("This birthday is too far in the past."))
    return day


def _clean_consents(raw, errors: FieldErrors) -> list[dict]:
    consents = []
    for i, item in enumerate(as_list(raw, "consents", errors)):
        if not isinstance(item, dict):
            errors.add(f"consents.{i}", _("Expected a consent object."))
            continue
        channel = errors.check(
            f"consents.{i}.channel",
            lambda v=item.get("channel"): choice(v, ConsentChannel.values, required=True),
        )
        source = errors.check(
            f"consents.{i}.source", lambda v=item.get("source"): text(v, max_length=200)
        )
        granted = item.get("granted")
        if not isinstance(granted, bool):
            errors.add(f"consents.{i}.granted", _("Answer yes or no."))
        elif channel:
            consents.append({"channel": channel, "granted": granted, "source": source or ""})
    return consents


def _clean_memberships(actor, raw, errors: FieldErrors) -> list[dict]:
    from .selectors import visible_organizations

    memberships = []
    for i, item in enumerate(as_list(raw, "organizations", errors)):
        item = item if isinstance(item, dict) else {"organization": item}
        org = visible_organizations(actor).filter(pk=_int_or_none(item.get("organization"))).first()
        if org is None:
            errors.add(f"organizations.{i}.organization", _("There is no such organization."))
            continue
        title = errors.check(
            f"organizations.{i}.job_title", lambda v=item.get("job_title"): text(v, max_length=100)
        )
        memberships.append({"organization": org, "job_title": title or ""})
    return memberships


def _clean_common(actor, data: dict, errors: FieldErrors, obj, custom_definitions=None) -> dict:
    clean = {}
    simple = {
        "source": lambda v: choice(v, Source.values),
        "lifecycle_stage": lambda v: choice(v or LifecycleStage.LEAD, LifecycleStage.values),
        "description": lambda v: text(v),
    }
    for field, cleaner in simple.items():
        if field in data:
            clean[field] = errors.check(field, lambda f=field, c=cleaner: c(data[f]), "")
    if "owner" in data or "team" in data or obj.pk is None:
        clean["owner"], clean["team"] = clean_owner(
            actor, data, errors, obj.owner if obj.pk else None
        )
    if "tags" in data:
        clean["tags"] = _clean_tags(data["tags"], errors)
    for field, cleaner in {
        "phones": _clean_phones,
        "emails": _clean_emails,
        "addresses": _clean_addresses,
        "social_handles": _clean_handles,
    }.items():
        if field in data:
            clean[field] = cleaner(data[field], errors)
    entity = "person" if isinstance(obj, Person) else "organization"
    if "custom" in data or obj.pk is None:
        clean["custom"] = clean_custom(
            entity,
            data.get("custom"),
            obj.custom or {},
            errors,
            partial=obj.pk is not None,
            known=custom_definitions,
        )
    return clean


def _clean_person(actor, data: dict, person: Person, custom_definitions=None) -> dict:
    errors = FieldErrors()
    clean = _clean_common(actor, data, errors, person, custom_definitions)
    creating = person.pk is None
    if "first_name" in data or creating:
        clean["first_name"] = errors.check(
            "first_name", lambda: text(data.get("first_name"), max_length=150), ""
        )
    if "last_name" in data or creating:
        clean["last_name"] = errors.check(
            "last_name", lambda: text(data.get("last_name"), max_length=150, required=True), ""
        )
    if "national_id" in data:
        raw = data.get("national_id")
        clean["national_id"] = errors.check(
            "national_id", lambda: normalize_national_id(raw) if raw else "", ""
        )
    if "birthday" in data:
        clean["birthday"] = errors.check("birthday", lambda: _birthday(data["birthday"]))
    if "gender" in data:
        clean["gender"] = errors.check("gender", lambda: choice(data["gender"], Gender.values), "")
    if "preferred_channel" in data:
        clean["preferred_channel"] = errors.check(
            "preferred_channel", lambda: choice(data["preferred_channel"], Channel.values), ""
        )
    if "consents" in data:
        clean["consents"] = _clean_consents(data["consents"], errors)
    if "organizations" in data:
        clean["organizations"] = _clean_memberships(actor, data["organizations"], errors)
    errors.raise_if_any()
    return clean


def validate_person(actor, data: dict, *, custom_definitions=None) -> dict:
    """The cleaned values of a new person, by the form's rules, without saving.

    Bulk callers (imports) pass the active custom-field definitions, read once.
    """
    require_write(actor)
    return _clean_person(actor, data, _blank_person(), custom_definitions)


@functools.cache
def _blank_person() -> Person:
    """An unsaved person to validate new values against; cleaning never changes it."""
    return Person()


def clean_website(value) -> str:
    url = text(value, max_length=300)
    if url and "://" not in url:
        url = "https://" + url
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError(_("Enter a valid web address.")) from None
    return url


def _clean_organization(actor, data: dict, org: Organization) -> dict:
    errors = FieldErrors()
    clean = _clean_common(actor, data, errors, org)
    if "name" in data or org.pk is None:
        clean["name"] = errors.check(
            "name", lambda: text(data.get("name"), max_length=200, required=True), ""
        )
    fields = {
        "national_id": lambda v: normalize_legal_id(v) if v else "",
        "economic_code": lambda v: normalize_economic_code(v) if v else "",
        "industry": lambda v: text(v, max_length=100),
        "size": lambda v: choice(
            v, [c for c, _label in Organization._meta.get_field("size").choices]
        ),
        "website": clean_website,
    }
    for field, cleaner in fields.items():
        if field in data:
            clean[field] = errors.check(field, lambda f=field, c=cleaner: c(data[f]), "")
    errors.raise_if_any()
    return clean


# ---- applying ---------------------------------------------------------------------------

_CONTACT_MODELS = {
    "phones": Phone,
    "emails": Email,
    "addresses": Address,
    "social_handles": SocialHandle,
}


def _apply(obj, clean: dict) -> None:
    """Set scalar fields on ``obj``; related rows are written by ``_write_related``."""
    for field, value in clean.items():
        if field not in _CONTACT_MODELS and field not in ("tags", "consents", "organizations"):
            setattr(obj, field, value)


def _write_related(actor, obj, clean: dict) -> None:
    owner_field = "person" if isinstance(obj, Person) else "organization"
    for field, model in _CONTACT_MODELS.items():
        if field in clean:
            model.objects.filter(**{owner_field: obj}).delete()
            model.objects.bulk_create(
                model(**{owner_field: obj}, position=i, **item)
                for i, item in enumerate(clean[field])
            )
    if "tags" in clean:
        obj.tags.set(clean["tags"])
    if "consents" in clean:
        for item in clean["consents"]:
            current = Consent.objects.filter(person=obj, channel=item["channel"]).first()
            if (
                current is None
                or current.granted != item["granted"]
                or current.source != item["source"]
            ):
                Consent.objects.update_or_create(
                    person=obj,
                    channel=item["channel"],
                    defaults={
                        "granted": item["granted"],
                        "source": item["source"],
                        "recorded_at": timezone.now(),
                    },
                )
    if "organizations" in clean:
        Membership.objects.filter(person=obj).delete()
        Membership.objects.bulk_create(
            Membership(person=obj, organization=m["organization"], job_title=m["job_title"])
            for m in clean["organizations"]
        )


def customer_keys(obj, *, org_names=(), phones=(), emails=(), handles=()) -> tuple[str, str]:
    """The name key and search text of a person or organisation, computed from values only.

    Pure (no queries), so bulk writers such as the demo data compute exactly the keys a
    save would.
    """
    if isinstance(obj, Person):
        return person_keys(
            obj.first_name,
            obj.last_name,
            obj.national_id,
            org_names=org_names,
            phones=phones,
            emails=emails,
            handles=handles,
        )
    name_key = sort_key(obj.name)[:310]
    parts = [search_key(obj.name), obj.national_id, obj.economic_code, search_key(obj.website)]
    return name_key, _search_text(parts, phones, emails, handles)


def person_keys(
    first_name, last_name, national_id, *, org_names=(), phones=(), emails=(), handles=()
) -> tuple[str, str]:
    """``customer_keys`` of a person from plain values (bulk writers need no instance)."""
    name_key = sort_key(f"{last_name} {first_name}")[:310]
    full_name = f"{first_name} {last_name}".strip()
    parts = [search_key(full_name), national_id, *map(search_key, org_names)]
    return name_key, _search_text(parts, phones, emails, handles)


def _search_text(parts: list, phones, emails, handles) -> str:
    parts += [number.lstrip("+") for number in phones]
    parts += list(emails)
    parts += [handle.lower() for handle in handles]
    return " ".join(p for p in parts if p)


def refresh_keys(obj) -> None:
    """Rewrite the normalised name key and the search text from the stored values."""
    org_names = (
        [m.organization.name for m in obj.memberships.select_related("organization")]
        if isinstance(obj, Person)
        else []
    )
    obj.name_key, obj.search_text = customer_keys(
        obj,
        org_names=org_names,
        phones=[p.number for p in obj.phones.all()],
        emails=[e.address for e in obj.emails.all()],
        handles=[h.handle for h in obj.social_handles.all()],
    )
    type(obj).all_objects.filter(pk=obj.pk).update(
        name_key=obj.name_key, search_text=obj.search_text
    )


def _save_new(actor, obj, clean):
    _apply(obj, clean)
    obj.name_key = "-"
    obj.created_by = actor
    obj.save()
    _write_related(actor, obj, clean)
    refresh_keys(obj)
    return records.record_created(actor, obj)


def _save_changes(actor, obj, clean, expected_version):
    records.check_version(obj, expected_version)
    before = obj.audit_snapshot()
    _apply(obj, clean)
    _write_related(actor, obj, clean)
    obj.save()
    refresh_keys(obj)
    records.save_changes(actor, obj, before)
    if isinstance(obj, Organization) and "name" in clean:
        for person in Person.all_objects.filter(memberships__organization=obj):
            refresh_keys(person)
    return obj


def _refuse_duplicates(actor, clean: dict, person: Person | None = None) -> None:
    """The one duplicate rule of every create and edit: likely duplicates the actor can
    see stop the save, unless the caller says to save anyway."""
    found = duplicates.check_before_save(actor, clean, person)
    if found:
        raise PossibleDuplicateError([candidate.as_dict() for candidate in found])


@transaction.atomic
def create_person(actor, data: dict, *, allow_duplicate: bool = False) -> Person:
    require_write(actor)  # before validation: a viewer hears "read only", not field errors
    person = Person()
    clean = _clean_person(actor, data, person)
    if not allow_duplicate:
        _refuse_duplicates(actor, clean)
    return _save_new(actor, person, clean)


@transaction.atomic
def update_person(
    actor,
    person: Person,
    data: dict,
    expected_version: int | None = None,
    *,
    allow_duplicate: bool = False,
) -> Person:
    require_write(actor)
    person = records.locked(Person, person.pk)
    clean = _clean_person(actor, data, person)
    if not allow_duplicate:
        records.check_version(person, expected_version)  # a stale edit hears that first
        _refuse_duplicates(actor, clean, person)
    return _save_changes(actor, person, clean, expected_version)


@transaction.atomic
def create_organization(actor, data: dict) -> Organization:
    require_write(actor)
    org = Organization()
    return _save_new(actor, org, _clean_organization(actor, data, org))


@transaction.atomic
def update_organization(actor, org: Organization, data: dict, expected_version: int | None = None):
    require_write(actor)
    org = records.locked(Organization, org.pk)
    return _save_changes(actor, org, _clean_organization(actor, data, org), expected_version)


@transaction.atomic
def trash(actor, obj, expected_version: int | None = None) -> None:
    require_delete(actor, obj)
    obj = records.locked(type(obj), obj.pk)
    records.check_version(obj, expected_version)
    records.trash(actor, obj)


@transaction.atomic
def restore(actor, obj) -> None:
    require_delete(actor, obj)
    records.restore(actor, records.locked(type(obj), obj.pk))


@transaction.atomic
def purge(actor, obj) -> None:
    if not (actor.is_admin or actor.is_manager):
        raise PermissionDenied(_("Only a manager or an administrator may purge records."))
    records.purge(actor, obj)


# ---- tags and custom fields -------------------------------------------------------------


def _clean_tag(name, color, exclude_pk=None) -> dict:
    errors = FieldErrors()
    name = errors.check("name", lambda: text(name, max_length=60, required=True), "")
    if color and not _COLOR.match(str(color)):
        errors.add("color", _("Enter a colour such as #1a2b3c."))
    if name and Tag.objects.filter(key=search_key(name)).exclude(pk=exclude_pk).exists():
        errors.add("name", _("A tag with this name already exists."))
    errors.raise_if_any()
    return {"name": name, "key": search_key(name), "color": color or "#6c757d"}


def create_tag(actor, *, name, color=None) -> Tag:
    require_write(actor)
    return Tag.objects.create(**_clean_tag(name, color))


def update_tag(actor, tag: Tag, *, name=None, color=None) -> Tag:
    require_write(actor)
    clean = _clean_tag(
        name if name is not None else tag.name, color or tag.color, exclude_pk=tag.pk
    )
    for field, value in clean.items():
        setattr(tag, field, value)
    tag.save()
    return tag


def delete_tag(actor, tag: Tag) -> None:
    if not (actor.is_admin or actor.is_manager):
        raise PermissionDenied(_("Only a manager or an administrator may delete tags."))
    tag.delete()


def _require_admin(actor):
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator may define custom fields."))


def _clean_definition(data: dict, current: CustomFieldDefinition | None) -> dict:
    errors = FieldErrors()
    clean = {}
    if current is None:
        clean["entity"] = errors.check(
            "entity",
            lambda: choice(data.get("entity"), CustomFieldDefinition.Entity.values, required=True),
        )
        clean["field_type"] = errors.check(
            "field_type",
            lambda: choice(
                data.get("field_type"), CustomFieldDefinition.FieldType.values, required=True
            ),
        )
        key = to_ascii_digits(str(data.get("key") or "")).strip().lower()
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,49}", key):
            errors.add("key", _("A key starts with a Latin letter and has only a-z, 0-9 and _."))
        elif CustomFieldDefinition.objects.filter(entity=clean["entity"], key=key).exists():
            errors.add("key", _("A custom field with this key already exists."))
        clean["key"] = key
    field_type = clean.get("field_type") or (current.field_type if current else "")
    if "label" in data or current is None:
        clean["label"] = errors.check(
            "label", lambda: text(data.get("label"), max_length=100, required=True)
        )
    if "choices" in data or current is None:
        options = [text(c, max_length=100) for c in as_list(data.get("choices"), "choices", errors)]
        options = [c for c in dict.fromkeys(options) if c]
        if field_type in ("choice", "multichoice") and not options:
            errors.add("choices", _("A choice field needs at least one option."))
        clean["choices"] = options
    for flag in ("required", "is_active"):
        if flag in data:
            clean[flag] = bool(data[flag])
    if "position" in data:
        clean["position"] = _int_or_none(data["position"]) or 0
    errors.raise_if_any()
    return clean


def create_custom_field(actor, data: dict) -> CustomFieldDefinition:
    _require_admin(actor)
    return CustomFieldDefinition.objects.create(**_clean_definition(data, None))


def update_custom_field(
    actor, definition: CustomFieldDefinition, data: dict
) -> CustomFieldDefinition:
    _require_admin(actor)
    for field, value in _clean_definition(data, definition).items():
        setattr(definition, field, value)
    definition.save()
    return definition
