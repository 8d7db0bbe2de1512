"""Leads: writes (by hand, API, import and the public web form), assignment rules,
conversion into a customer and a deal, and the reads that go through visibility.

Every write cleans a plain dict into one ValidationError keyed by field, normalises on
write (E.164 phone, lower-case e-mail, checked national ID, search text), gives a new
lead without an explicit owner to the first matching assignment rule, scores it
(``sales.scoring``) and audits the change, all in one transaction.
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from iranian_cities.models import Province

from peyvand.accounts.models import Role, Team, User
from peyvand.core import records, validation
from peyvand.core.identifiers import normalize_national_id
from peyvand.core.pagination import BoundedCount, count_up_to, keyset_page
from peyvand.core.persian import search_key, sort_key
from peyvand.core.phone import normalize_phone
from peyvand.core.search import filter_search_text
from peyvand.core.validation import FieldErrors, as_list, choice, rials, text
from peyvand.core.visibility import require_delete, require_write, visible
from peyvand.customers import duplicates
from peyvand.customers import selectors as customer_selectors
from peyvand.customers import services as customer_services
from peyvand.customers.models import LifecycleStage, Source

from . import catalog, deals, scoring
from .models import AssignmentRule, Lead, WebForm

# The open statuses, the ones an edit may set; converted and disqualified have their own
# actions.
OPEN_STATUSES = scoring.OPEN_STATUSES
TEXT_LIMITS = {
    "first_name": 150,
    "last_name": 150,
    "company": 200,
    "job_title": 100,
    "message": 5000,
    "utm_source": 100,
    "utm_medium": 100,
    "utm_campaign": 100,
    "utm_term": 100,
    "utm_content": 100,
}
URL_FIELDS = ("referrer", "landing_page")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# What a visitor's web form may set; everything else comes from the form's settings.
WEB_FORM_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "company",
    "message",
    "product_interest",
    *UTM_FIELDS,
    *URL_FIELDS,
)
# Submissions one client address may make to one form per window (seconds), unless
# settings.PEYVAND["WEB_FORM_RATE_LIMIT"] says otherwise.
DEFAULT_RATE_LIMIT = (5, 600)
# Exact matches of these reuse an existing person on conversion; a likely duplicate by
# name or a nearly-equal phone is left for a person to merge.
EXACT_MATCH_REASONS = {"phone", "email", "national_id"}


class TooManySubmissions(Exception):
    """A client sent a form more often than the rate limit allows."""


# ---- cleaning ------------------------------------------------------------------------------


def _url(value) -> str:
    url = text(value, max_length=500)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError(_("Enter a valid web address.")) from None
    return url


def _province(value):
    if value in (None, ""):
        return None
    province = Province.objects.filter(pk=deals.parse_id(value)).first()
    if province is None:
        raise ValidationError(_("Choose a province from the list."))
    return province


def _product(value):
    if value in (None, ""):
        return None
    product = catalog.active_products().filter(pk=deals.parse_id(value)).first()
    if product is None:
        raise ValidationError(_("Choose an active product from the list."))
    return product


def _status(value, lead: Lead) -> str:
    status = choice(value or Lead.Status.NEW, Lead.Status.values, required=True)
    if lead.status == Lead.Status.CONVERTED and status != lead.status:
        raise ValidationError(_("A converted lead stays converted."))
    if status not in OPEN_STATUSES and status != lead.status:
        raise ValidationError(_("Convert or disqualify the lead with its own action."))
    return status


FIELD_CLEANERS = {
    "phone": lambda value: normalize_phone(str(value)) if value not in (None, "") else "",
    "email": validation.email,
    "national_id": lambda value: normalize_national_id(str(value)) if value else "",
    "province": _province,
    "product_interest": _product,
    "source": lambda value: choice(value, Source.values),
    **{field: _url for field in URL_FIELDS},
}


def _clean_owner(actor, data: dict, errors: FieldErrors) -> dict:
    """An owner (and team) the caller named; the actor may give leads only to their team
    mates, and a viewer, who cannot work a lead, cannot own one."""
    clean = {}
    if data.get("owner") not in (None, ""):
        owner = (
            User.objects.filter(pk=deals.parse_id(data["owner"]), is_active=True)
            .exclude(role=Role.VIEWER)
            .first()
        )
        if owner is None:
            errors.add("owner", _("There is no active user with this id."))
        elif (
            not actor.is_admin
            and owner.pk != actor.pk
            and not set(owner.team_ids) & set(actor.team_ids)
        ):
            errors.add("owner", _("You may assign records only to members of your teams."))
        else:
            clean["owner"] = owner
            clean["team"] = owner.primary_team
    if data.get("team") not in (None, ""):
        team = Team.objects.filter(pk=deals.parse_id(data["team"])).first()
        if team is None or (not actor.is_admin and team.pk not in actor.team_ids):
            errors.add("team", _("Choose one of your teams."))
        else:
            clean["team"] = team
    return clean


def clean_lead(actor, data: dict, lead: Lead) -> dict:
    """The cleaned values ``data`` sets on ``lead`` (new when unsaved), or one
    ValidationError naming every bad field."""
    errors = FieldErrors()
    creating = lead.pk is None
    clean = {}
    for field, limit in TEXT_LIMITS.items():
        if field in data or (creating and field == "last_name"):
            clean[field] = errors.check(
                field,
                lambda f=field, n=limit: text(data.get(f), max_length=n, required=f == "last_name"),
                "",
            )
    for field, cleaner in FIELD_CLEANERS.items():
        if field in data:
            clean[field] = errors.check(field, lambda f=field, c=cleaner: c(data[f]))
    if "status" in data:
        clean["status"] = errors.check("status", lambda: _status(data["status"], lead))
    if actor is not None:
        clean.update(_clean_owner(actor, data, errors))
    errors.raise_if_any()
    if clean.get("status") in OPEN_STATUSES:
        clean["disqualify_reason"] = ""
    return clean


def lead_search_text(lead: Lead) -> str:
    """Name, company, phone digits, e-mail and national ID, normalised like customers'."""
    parts = [
        search_key(f"{lead.first_name} {lead.last_name}"),
        search_key(lead.company),
        lead.phone.lstrip("+"),
        lead.email,
        lead.national_id,
    ]
    return " ".join(part for part in parts if part)


# ---- assignment ----------------------------------------------------------------------------


def _rule_matches(rule: AssignmentRule, lead: Lead) -> bool:
    return (
        (rule.province_id is None or rule.province_id == lead.province_id)
        and (not rule.source or rule.source == lead.source)
        and (rule.product_id is None or rule.product_id == lead.product_interest_id)
    )


def _next_member(rule: AssignmentRule) -> User | None:
    """Round-robin: the team's next active agent after the previous one, by id.

    Agents work the leads; a manager gets one only from a rule that names them. The rule
    row is locked first, so two leads arriving together go to two agents.
    """
    rule = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    members = User.objects.filter(teams=rule.team_id, is_active=True, role=Role.AGENT)
    members = members.order_by("id")
    member = members.filter(id__gt=rule.last_assigned_id or 0).first() or members.first()
    if member is not None:
        AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned=member)
    return member


def _rule_owner(rule: AssignmentRule) -> User | None:
    if rule.method == AssignmentRule.Method.ROUND_ROBIN:
        return _next_member(rule)
    assignee = rule.assignee
    if assignee is None or not assignee.is_active or assignee.is_viewer:
        return None
    return assignee


def assign(lead: Lead) -> AssignmentRule | None:
    """Give ``lead`` the owner and team of the first active rule whose conditions all hold;
    a rule that cannot name anyone (an empty team) is passed over."""
    for rule in AssignmentRule.objects.filter(is_active=True).select_related("assignee"):
        if not _rule_matches(rule, lead):
            continue
        owner = _rule_owner(rule)
        if owner is not None:
            lead.owner, lead.team = owner, rule.team
            return rule
    return None


# ---- leads ---------------------------------------------------------------------------------


def _apply(lead: Lead, clean: dict) -> None:
    for field, value in clean.items():
        setattr(lead, field, value)
    lead.search_text = lead_search_text(lead)


def _save_new(actor, lead: Lead, clean: dict, *, fallback_owner, fallback_team) -> Lead:
    """Owner: the one named, else the assignment rules', else the fallback."""
    _apply(lead, clean)
    if "owner" not in clean and assign(lead) is None:
        lead.owner = fallback_owner
        lead.team = clean.get("team", fallback_team)
    scoring.refresh(lead)
    lead.created_by = actor
    lead.save()
    return records.record_created(actor, lead)


@transaction.atomic
def create_lead(actor, data: dict) -> Lead:
    """A lead typed by a user, sent through the API or imported."""
    require_write(actor)
    lead = Lead()
    clean = clean_lead(actor, data, lead)
    return _save_new(actor, lead, clean, fallback_owner=actor, fallback_team=actor.primary_team)


@transaction.atomic
def update_lead(actor, lead: Lead, data: dict, expected_version: int | None = None) -> Lead:
    require_write(actor)
    lead = records.locked(Lead, lead.pk)
    clean = clean_lead(actor, data, lead)
    records.check_version(lead, expected_version)
    before = lead.audit_snapshot()
    _apply(lead, clean)
    scoring.refresh(lead)
    records.save_changes(actor, lead, before)
    return lead


@transaction.atomic
def disqualify_lead(actor, lead: Lead, reason, expected_version: int | None = None) -> Lead:
    require_write(actor)
    lead = records.locked(Lead, lead.pk)
    errors = FieldErrors()
    reason = errors.check("reason", lambda: text(reason, max_length=200, required=True), "")
    if lead.status == Lead.Status.CONVERTED:
        errors.add("status", _("A converted lead stays converted."))
    errors.raise_if_any()
    records.check_version(lead, expected_version)
    before = lead.audit_snapshot()
    lead.status, lead.disqualify_reason = Lead.Status.DISQUALIFIED, reason
    records.save_changes(actor, lead, before)
    return lead


@transaction.atomic
def trash_lead(actor, lead: Lead, expected_version: int | None = None) -> None:
    require_delete(actor, lead)
    lead = records.locked(Lead, lead.pk)
    records.check_version(lead, expected_version)
    records.trash(actor, lead)


@transaction.atomic
def restore_lead(actor, lead: Lead) -> None:
    require_delete(actor, lead)
    records.restore(actor, records.locked(Lead, lead.pk))


# ---- conversion ----------------------------------------------------------------------------


def _attribution(lead: Lead) -> str:
    """The customer source a lead's attribution stands for: its own, else «campaign» when
    it came with UTM parameters."""
    if lead.source:
        return lead.source
    return Source.CAMPAIGN if any(getattr(lead, f) for f in UTM_FIELDS) else ""


def _organization(actor, lead: Lead):
    """The visible organisation with the lead's company name (normalised), or a new one."""
    if not lead.company:
        return None
    name_key = sort_key(lead.company)[:310]
    found = customer_selectors.visible_organizations(actor).filter(name_key=name_key).first()
    if found is not None:
        return found
    data = {"name": lead.company, "source": _attribution(lead), "owner": lead.owner_id}
    return customer_services.create_organization(actor, {**data, "team": lead.team_id or ""})


def _person_data(lead: Lead, organization, stage: str) -> dict:
    data = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "phones": [{"number": lead.phone, "kind": "mobile"}] if lead.phone else [],
        "emails": [{"address": lead.email, "kind": "work"}] if lead.email else [],
        "national_id": lead.national_id,
        "source": _attribution(lead),
        "lifecycle_stage": stage,
        "owner": lead.owner_id,
        "team": lead.team_id or "",
    }
    if lead.province_id:
        data["addresses"] = [{"province": lead.province_id, "kind": "work"}]
    if organization is not None:
        data["organizations"] = [{"organization": organization.pk, "job_title": lead.job_title}]
    return data


def _existing_person(actor, data: dict):
    """A visible person sharing the lead's phone, e-mail or national ID, by the same rule
    as the duplicate check of the customer forms."""
    clean = customer_services.validate_person(actor, data)
    for candidate in duplicates.likely_duplicates(actor, clean):
        if EXACT_MATCH_REASONS & set(candidate.reasons):
            return candidate.person
    return None


def _link_existing(actor, person, organization, lead: Lead, stage: str):
    """Fill in what the reused person lacks: the lead's source and company, and the
    opportunity stage when a deal is made."""
    changes = {}
    if not person.source and _attribution(lead):
        changes["source"] = _attribution(lead)
    if stage == LifecycleStage.OPPORTUNITY and person.lifecycle_stage == LifecycleStage.LEAD:
        changes["lifecycle_stage"] = stage
    if organization is not None:
        memberships = list(person.memberships.values("organization", "job_title"))
        if organization.pk not in {m["organization"] for m in memberships}:
            new = {"organization": organization.pk, "job_title": lead.job_title}
            changes["organizations"] = [*memberships, new]
    if not changes:
        return person
    return customer_services.update_person(actor, person, changes, allow_duplicate=True)


def _person(actor, lead: Lead, organization, stage: str):
    data = _person_data(lead, organization, stage)
    existing = _existing_person(actor, data)
    if existing is not None:
        return _link_existing(actor, existing, organization, lead, stage)
    return customer_services.create_person(actor, data, allow_duplicate=True)


def _clean_conversion(data: dict, unit: str) -> dict:
    """Whether to make a deal, and its draft with the amount read in ``unit`` as Rials."""
    errors = FieldErrors()
    wants_deal = data.get("create_deal", True)
    if isinstance(wants_deal, str):
        wants_deal = wants_deal.strip().lower() in ("1", "true", "yes", "on")
    deal = data.get("deal") or {}
    if not isinstance(deal, dict):
        errors.add("deal", _("Expected an object."))
        deal = {}
    amount = errors.check("deal.amount", lambda: rials(deal.get("amount"), unit=unit))
    errors.raise_if_any()
    return {"create_deal": bool(wants_deal), "deal": {**deal, "amount": amount}}


def _deal_data(lead: Lead, person, organization, deal: dict) -> dict:
    """What ``deals.create_deal`` takes. The product of interest becomes the deal's
    product, which also gives the amount when none was typed."""
    data = {
        "title": deal.get("title") or lead.company or str(lead),
        "amount": deal["amount"],
        "person": person.pk,
        "organization": organization.pk if organization else None,
        "source": _attribution(lead),
        "owner": lead.owner_id,
        "team": lead.team_id or "",
    }
    for key in ("pipeline", "stage", "expected_close"):
        if deal.get(key) not in (None, ""):
            data[key] = deal[key]
    if lead.product_interest_id:
        data["products"] = [{"product": lead.product_interest_id, "quantity": 1}]
    return data


def _create_deal(actor, lead, person, organization, deal: dict):
    try:
        return deals.create_deal(actor, _deal_data(lead, person, organization, deal))
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        raise ValidationError(
            {f"deal.{field}": messages for field, messages in fields.items()}
        ) from None


@transaction.atomic
def convert_lead(
    actor, lead: Lead, data: dict, expected_version: int | None = None, *, unit: str = "rial"
):
    """Turn the lead into a person (reused when their phone, e-mail or national ID is
    already known), an organisation from its company (reused by name) and, unless
    ``data["create_deal"]`` is false, a deal from ``data["deal"]`` (title, amount in
    ``unit``, pipeline, stage, expected_close). Returns ``(person, organization, deal)``."""
    require_write(actor)
    lead = records.locked(Lead, lead.pk)
    if lead.status == Lead.Status.CONVERTED:
        raise ValidationError({"status": [_("This lead has already been converted.")]})
    if lead.status == Lead.Status.DISQUALIFIED:
        raise ValidationError(
            {"status": [_("A disqualified lead cannot be converted; reopen it first.")]}
        )
    options = _clean_conversion(data, unit)
    records.check_version(lead, expected_version)
    organization = _organization(actor, lead)
    stage = LifecycleStage.OPPORTUNITY if options["create_deal"] else LifecycleStage.LEAD
    person = _person(actor, lead, organization, stage)
    deal = None
    if options["create_deal"]:
        deal = _create_deal(actor, lead, person, organization, options["deal"])
    before = lead.audit_snapshot()
    lead.status = Lead.Status.CONVERTED
    lead.person, lead.organization, lead.deal = person, organization, deal
    lead.converted_at = timezone.now()
    records.save_changes(actor, lead, before)
    return person, organization, deal


# ---- web forms -----------------------------------------------------------------------------


def managed_teams(actor):
    return Team.objects.all() if actor.is_admin else Team.objects.filter(pk__in=actor.team_ids)


def _team(actor, value) -> Team:
    team = managed_teams(actor).filter(pk=deals.parse_id(value)).first() if value else None
    if team is None:
        raise ValidationError(_("Choose one of your teams."))
    return team


def _team_member(value, team: Team | None, *, required: bool) -> User | None:
    if value in (None, ""):
        if required:
            raise ValidationError(_("This field is required."))
        return None
    user = User.objects.filter(pk=deals.parse_id(value), is_active=True).exclude(role=Role.VIEWER)
    user = user.first()
    if user is None:
        raise ValidationError(_("There is no active user with this id."))
    if team is not None and team.pk not in user.team_ids:
        raise ValidationError(_("Choose a member of the chosen team."))
    return user


def _origin(value) -> str:
    raw = text(value, max_length=300).rstrip("/")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise ValidationError(
            _("Enter a site as https://example.ir (scheme and host, no path): %(value)s")
            % {"value": raw}
        )
    return f"{parts.scheme}://{parts.netloc}".lower()


def _origins(value, errors: FieldErrors) -> list[str]:
    if isinstance(value, str):
        value = value.split()
    origins = []
    for i, item in enumerate(as_list(value, "allowed_origins", errors)):
        origin = errors.check(f"allowed_origins.{i}", lambda v=item: _origin(v))
        if origin and origin not in origins:
            origins.append(origin)
    return origins


def _clean_web_form(actor, data: dict, form: WebForm) -> dict:
    errors = FieldErrors()
    creating = form.pk is None
    clean = {}
    if "name" in data or creating:
        clean["name"] = errors.check(
            "name", lambda: text(data.get("name"), max_length=100, required=True)
        )
    if "team" in data or creating:
        clean["team"] = errors.check("team", lambda: _team(actor, data.get("team")))
    team = clean.get("team", form.team if not creating else None)
    if "default_owner" in data or creating or "team" in data:
        owner = data.get("default_owner", form.default_owner_id if not creating else None)
        clean["default_owner"] = errors.check(
            "default_owner", lambda: _team_member(owner, team, required=True)
        )
    if "source" in data:
        clean["source"] = errors.check(
            "source", lambda: choice(data["source"] or Source.WEBSITE, Source.values)
        )
    if "success_message" in data:
        clean["success_message"] = errors.check(
            "success_message", lambda: text(data["success_message"], max_length=300)
        )
    if "allowed_origins" in data:
        clean["allowed_origins"] = _origins(data["allowed_origins"], errors)
    if "is_active" in data:
        clean["is_active"] = bool(data["is_active"])
    errors.raise_if_any()
    return clean


def visible_web_forms(actor):
    forms = WebForm.objects.select_related("team", "default_owner")
    return forms if actor.is_admin else forms.filter(team__in=actor.team_ids)


def create_web_form(actor, data: dict) -> WebForm:
    scoring.require_manager(actor)
    form = WebForm(key=secrets.token_urlsafe(16)[:22])
    for field, value in _clean_web_form(actor, data, form).items():
        setattr(form, field, value)
    form.save()
    return form


def update_web_form(actor, form: WebForm, data: dict) -> WebForm:
    scoring.require_manager(actor)
    if not visible_web_forms(actor).filter(pk=form.pk).exists():
        raise PermissionDenied(_("This form belongs to another team."))
    for field, value in _clean_web_form(actor, data, form).items():
        setattr(form, field, value)
    form.save()
    return form


def active_web_form(key: str) -> WebForm:
    """The form a public page shows, or 404 when it does not exist or was switched off."""
    return get_object_or_404(WebForm.objects.select_related("team"), key=key, is_active=True)


def origin_allowed(form: WebForm, origin: str | None, own_origin: str) -> bool:
    """A post from the form's own page (inside the iframe) or from a site the form lists;
    any site when it lists none."""
    if not form.allowed_origins:
        return True
    allowed = {own_origin.lower(), *form.allowed_origins}
    return bool(origin) and origin.rstrip("/").lower() in allowed


def rate_limit() -> tuple[int, int]:
    """(submissions, seconds) one client address may send one form."""
    return tuple(settings.PEYVAND.get("WEB_FORM_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def _count_submission(form: WebForm, client: str) -> None:
    limit, window = rate_limit()
    key = f"sales:webform:{form.pk}:{client}"
    if cache.add(key, 1, timeout=window):
        return
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the window's first
        cache.add(key, 1, timeout=window)
        return
    if count > limit:
        raise TooManySubmissions


def _attribution_kept(values: dict) -> dict:
    """The host page's attribution as far as it is usable: a visitor cannot fix a
    hidden field, so an over-long parameter is cut and a malformed URL dropped, never
    refused."""
    kept = dict(values)
    for field in UTM_FIELDS:
        if field in kept:
            kept[field] = str(kept[field] or "")[: TEXT_LIMITS[field]]
    for field in URL_FIELDS:
        if field in kept:
            try:
                kept[field] = _url(kept[field])
            except ValidationError:
                kept[field] = ""
    return kept


@transaction.atomic
def submit_web_form(form: WebForm, data: dict, meta: dict) -> Lead | None:
    """A visitor's submission: a new lead from the form's team, or None when the hidden
    honeypot field was filled (a bot, told it succeeded).

    ``meta`` carries the client's address (``client``) for the rate limit. Raises
    TooManySubmissions past the limit and ValidationError on bad fields.
    """
    _count_submission(form, meta.get("client") or "unknown")
    if str(data.get("honeypot") or "").strip():
        return None
    values = _attribution_kept({f: data[f] for f in WEB_FORM_FIELDS if f in data})
    lead = Lead(web_form=form, source=form.source)
    clean = clean_lead(None, values, lead)
    if not (clean.get("phone") or clean.get("email")):
        raise ValidationError({"phone": [_("Enter a phone number or an e-mail address.")]})
    clean["source"] = form.source
    return _save_new(None, lead, clean, fallback_owner=form.default_owner, fallback_team=form.team)


# ---- assignment rules ----------------------------------------------------------------------


def visible_assignment_rules(actor):
    rules = AssignmentRule.objects.select_related("team", "assignee", "province", "product")
    return rules if actor.is_admin else rules.filter(team__in=actor.team_ids)


def _clean_assignment_rule(actor, data: dict, rule: AssignmentRule) -> dict:
    errors = FieldErrors()
    creating = rule.pk is None
    clean = {}
    if "name" in data or creating:
        clean["name"] = errors.check(
            "name", lambda: text(data.get("name"), max_length=100, required=True)
        )
    if "position" in data:
        clean["position"] = errors.check(
            "position",
            lambda: deals.whole_number(data["position"], minimum=0, maximum=10_000) or 0,
        )
    if "is_active" in data:
        clean["is_active"] = bool(data["is_active"])
    for field, cleaner in {
        "province": _province,
        "source": lambda value: choice(value, Source.values),
        "product": _product,
    }.items():
        if field in data:
            clean[field] = errors.check(field, lambda f=field, c=cleaner: c(data[f]))
    if "method" in data or creating:
        clean["method"] = errors.check(
            "method",
            lambda: choice(
                data.get("method") or AssignmentRule.Method.ROUND_ROBIN,
                AssignmentRule.Method.values,
            ),
        )
    if "team" in data or creating:
        clean["team"] = errors.check("team", lambda: _team(actor, data.get("team")))
    method = clean.get("method") or rule.method
    team = clean.get("team", rule.team if not creating else None)
    if method == AssignmentRule.Method.USER:
        assignee = data.get("assignee", rule.assignee_id)
        clean["assignee"] = errors.check(
            "assignee", lambda: _team_member(assignee, team, required=True)
        )
    elif "assignee" in data or "method" in data:
        clean["assignee"] = None
    errors.raise_if_any()
    return clean


def create_assignment_rule(actor, data: dict) -> AssignmentRule:
    scoring.require_manager(actor)
    rule = AssignmentRule()
    for field, value in _clean_assignment_rule(actor, data, rule).items():
        setattr(rule, field, value)
    rule.save()
    return rule


def update_assignment_rule(actor, rule: AssignmentRule, data: dict) -> AssignmentRule:
    scoring.require_manager(actor)
    if not visible_assignment_rules(actor).filter(pk=rule.pk).exists():
        raise PermissionDenied(_("This rule belongs to another team."))
    for field, value in _clean_assignment_rule(actor, data, rule).items():
        setattr(rule, field, value)
    rule.save()
    return rule


def delete_assignment_rule(actor, rule: AssignmentRule) -> None:
    scoring.require_manager(actor)
    if not visible_assignment_rules(actor).filter(pk=rule.pk).exists():
        raise PermissionDenied(_("This rule belongs to another team."))
    rule.delete()


# ---- reads ---------------------------------------------------------------------------------

SORTS = {
    "-created": ("created_at", True),
    "created": ("created_at", False),
    "-score": ("score", True),
    "-updated": ("updated_at", True),
}


def visible_leads(user):
    return visible(Lead.objects.all(), user)


def lead_detail(user, pk) -> Lead:
    """The lead, or 404 when it does not exist or ``user`` may not see it."""
    queryset = (
        visible_leads(user)
        .select_related("owner", "team", "province", "product_interest", "web_form")
        .select_related("person", "organization", "deal")
    )
    return get_object_or_404(queryset, pk=pk)


def trashed_leads(user):
    return visible(Lead.trashed.all(), user).order_by("-deleted_at")


def trashed_lead(user, pk) -> Lead:
    return get_object_or_404(trashed_leads(user), pk=pk)


def _int_param(value, field: str) -> int:
    number = deals.parse_id(value)
    if number is None:
        raise ValidationError({field: [_("Enter a whole number.")]})
    return number


def filter_leads(queryset, params):
    """List filters: q (name, phone, e-mail, national ID), status, owner, source, campaign."""
    queryset = filter_search_text(queryset, params.get("q"))
    if params.get("status"):
        queryset = queryset.filter(status=params["status"])
    if params.get("owner"):
        queryset = queryset.filter(owner_id=_int_param(params["owner"], "owner"))
    if params.get("source"):
        queryset = queryset.filter(source=params["source"])
    if params.get("campaign"):
        queryset = queryset.filter(utm_campaign=params["campaign"])
    return queryset


def leads_page(user, params, limit: int):
    sort = params.get("sort") or "-created"
    if sort not in SORTS:
        raise ValidationError({"sort": [_("Unknown sort order.")]})
    queryset = filter_leads(visible_leads(user), params).select_related("owner", "product_interest")
    field, descending = SORTS[sort]
    return keyset_page(queryset, field, descending, params.get("cursor"), limit)


def leads_count(user, params) -> BoundedCount:
    queryset = filter_leads(visible_leads(user), params)
    return count_up_to(queryset, settings.PEYVAND["EXACT_COUNT_LIMIT"])


def assignable_owners(user):
    """Who a lead may be given to: anyone for an admin, else oneself and team mates."""
    users = User.objects.filter(is_active=True).exclude(role=Role.VIEWER)
    if not user.is_admin:
        users = users.filter(Q(pk=user.pk) | Q(teams__in=user.team_ids)).distinct()
    return users
