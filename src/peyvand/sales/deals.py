"""Pipelines, stages, lost reasons, competitors and deals: writes and reads.

Settings (pipelines with their stages, lost reasons, competitors) are shared by every
user and changed only by managers and administrators. Deals are business records: each
operation checks the caller's rights and the deal's version, audits what changed, and is
one transaction. Every stage change and every close writes a ``StageChange`` row, from
which the stage history (time spent in each stage) is read.

Reads go through ``visible_deals``: a deal the user may not see does not exist for them.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from peyvand.core import records
from peyvand.core.models import JalaliDay
from peyvand.core.pagination import BoundedCount, count_up_to, keyset_page
from peyvand.core.persian import search_key, to_ascii_digits
from peyvand.core.search import filter_search_text
from peyvand.core.validation import FieldErrors, as_list, choice, date, quantity, rials, text
from peyvand.core.visibility import require_delete, require_write, visible
from peyvand.customers.models import Source
from peyvand.customers.selectors import visible_organizations, visible_people
from peyvand.customers.services import clean_owner, clean_website

from . import cadences, pricing
from .models import (
    Competitor,
    Deal,
    DealProduct,
    LostReason,
    Pipeline,
    Product,
    Stage,
    StageChange,
)

MAX_PROBABILITY = 100
MAX_ROTTING_DAYS = 3650
MAX_POSITION = 10_000
# Cards of one column are ordered by a float; a new position halves the gap between two
# neighbours, and a column is renumbered when the gap gets this small.
MIN_POSITION_GAP = 1e-6
OPEN = Deal.Status.OPEN


# ---- small cleaners -----------------------------------------------------------------------


def parse_id(value) -> int | None:
    """An id typed in any digits; None for garbage (which then matches nothing)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(to_ascii_digits(str(value)).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def whole_number(value, *, minimum: int, maximum: int, required: bool = False) -> int | None:
    """A whole number in a range, typed in any digits."""
    if value is None or value == "":
        if required:
            raise ValidationError(_("This field is required."))
        return None
    try:
        number = None if isinstance(value, bool) else int(to_ascii_digits(str(value)).strip())
    except ValueError:
        number = None
    if number is None or not minimum <= number <= maximum:
        raise ValidationError(
            _("Enter a whole number from %(minimum)d to %(maximum)d.")
            % {"minimum": minimum, "maximum": maximum}
        )
    return number


def is_yes(value) -> bool:
    return value in (True, 1, "1", "true", "on", "yes")


def require_settings_writer(actor) -> None:
    require_write(actor)
    if not (actor.is_admin or actor.is_manager):
        raise PermissionDenied(_("Only a manager or an administrator may change sales settings."))


def _unique_name(model, name: str, errors: FieldErrors, exclude_pk=None) -> None:
    if name and model.objects.filter(name=name).exclude(pk=exclude_pk).exists():
        errors.add("name", _("This name is already in use."))


# ---- pipelines and stages -----------------------------------------------------------------


def pipelines(*, active_only: bool = False):
    """Every pipeline with its stages in order (shared settings: every user reads them)."""
    queryset = Pipeline.objects.all()
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
    )


def default_pipeline() -> Pipeline | None:
    return Pipeline.objects.filter(is_active=True).first()


def active_stages(pipeline):
    return pipeline.stages.filter(is_active=True).order_by("position", "id")


def _clean_pipeline(data: dict, pipeline: Pipeline) -> dict:
    errors = FieldErrors()
    clean = {}
    if "name" in data or pipeline.pk is None:
        clean["name"] = errors.check(
            "name", lambda: text(data.get("name"), max_length=100, required=True), ""
        )
        _unique_name(Pipeline, clean["name"], errors, pipeline.pk)
    if data.get("position") not in (None, ""):
        clean["position"] = errors.check(
            "position", lambda: whole_number(data["position"], minimum=0, maximum=MAX_POSITION), 0
        )
    if "is_active" in data:
        clean["is_active"] = is_yes(data["is_active"])
    stages = []
    for i, item in enumerate(as_list(data.get("stages"), "stages", errors)):
        if not isinstance(item, dict):
            errors.add(f"stages.{i}", _("Expected a stage object."))
            continue
        stages.append(_clean_stage(item, Stage(), errors, prefix=f"stages.{i}."))
    names = [s.get("name") for s in stages]
    if len(set(names)) != len(names):
        errors.add("stages", _("Two stages of one pipeline cannot share a name."))
    clean["stages"] = stages
    errors.raise_if_any()
    return clean


def _clean_stage(data: dict, stage: Stage, errors: FieldErrors, prefix: str = "") -> dict:
    clean = {}
    creating = stage.pk is None
    if "name" in data or creating:
        clean["name"] = errors.check(
            f"{prefix}name", lambda: text(data.get("name"), max_length=100, required=True), ""
        )
    if "probability" in data or creating:
        clean["probability"] = errors.check(
            f"{prefix}probability",
            lambda: whole_number(
                data.get("probability"), minimum=0, maximum=MAX_PROBABILITY, required=True
            ),
            0,
        )
    if "rotting_days" in data:
        clean["rotting_days"] = errors.check(
            f"{prefix}rotting_days",
            lambda: whole_number(data["rotting_days"], minimum=1, maximum=MAX_ROTTING_DAYS),
        )
    if "is_active" in data:
        clean["is_active"] = is_yes(data["is_active"])
    return clean


@transaction.atomic
def create_pipeline(actor, data: dict) -> Pipeline:
    """A pipeline and, optionally, its stages in the order given."""
    require_settings_writer(actor)
    clean = _clean_pipeline(data, Pipeline())
    stages = clean.pop("stages")
    if "position" not in clean:
        clean["position"] = (Pipeline.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    pipeline = Pipeline.objects.create(**clean)
    Stage.objects.bulk_create(
        Stage(pipeline=pipeline, position=i, **stage) for i, stage in enumerate(stages)
    )
    return pipeline


@transaction.atomic
def update_pipeline(actor, pipeline: Pipeline, data: dict) -> Pipeline:
    """Rename, reorder or (de)activate a pipeline; its stages have their own operations."""
    require_settings_writer(actor)
    clean = _clean_pipeline({k: v for k, v in data.items() if k != "stages"}, pipeline)
    clean.pop("stages")
    for name, value in clean.items():
        setattr(pipeline, name, value)
    pipeline.save()
    return pipeline


def _open_deals_in(stage: Stage):
    return Deal.objects.filter(stage=stage, status=OPEN)


@transaction.atomic
def create_stage(actor, pipeline: Pipeline, data: dict) -> Stage:
    """A new stage at the end of the pipeline, or at ``position`` (0 is the first)."""
    require_settings_writer(actor)
    errors = FieldErrors()
    clean = _clean_stage(data, Stage(), errors)
    position = errors.check(
        "position", lambda: whole_number(data.get("position"), minimum=0, maximum=MAX_POSITION)
    )
    if clean.get("name") and pipeline.stages.filter(name=clean["name"]).exists():
        errors.add("name", _("This name is already in use."))
    errors.raise_if_any()
    stage = Stage.objects.create(pipeline=pipeline, position=MAX_POSITION, **clean)
    _place_stage(stage, position)
    return stage


@transaction.atomic
def update_stage(actor, stage: Stage, data: dict) -> Stage:
    """Rename, re-weigh, (de)activate or move (``position``) one stage."""
    require_settings_writer(actor)
    errors = FieldErrors()
    clean = _clean_stage(data, stage, errors)
    position = errors.check(
        "position", lambda: whole_number(data.get("position"), minimum=0, maximum=MAX_POSITION)
    )
    if (
        clean.get("name")
        and stage.pipeline.stages.filter(name=clean["name"]).exclude(pk=stage.pk).exists()
    ):
        errors.add("name", _("This name is already in use."))
    # An inactive stage has no column on the board: its open deals would vanish from it.
    if clean.get("is_active") is False and stage.is_active and _open_deals_in(stage).exists():
        errors.add(
            "is_active",
            _("Open deals are in this stage. Move them to another stage before deactivating it."),
        )
    errors.raise_if_any()
    for name, value in clean.items():
        setattr(stage, name, value)
    stage.save()
    if position is not None:
        _place_stage(stage, position)
    return stage


def _place_stage(stage: Stage, position: int | None) -> None:
    """Put ``stage`` at ``position`` among its pipeline's stages and number them 0, 1, 2…"""
    others = list(stage.pipeline.stages.exclude(pk=stage.pk).order_by("position", "id"))
    index = len(others) if position is None else min(position, len(others))
    ordered = [*others[:index], stage, *others[index:]]
    for i, item in enumerate(ordered):
        item.position = i
    Stage.objects.bulk_update(ordered, ["position"])


def move_stage(actor, stage: Stage, offset: int) -> Stage:
    """One place earlier (-1) or later (+1): the settings page's arrows."""
    ordered = list(stage.pipeline.stages.order_by("position", "id").values_list("pk", flat=True))
    index = max(0, ordered.index(stage.pk) + offset)
    return update_stage(actor, stage, {"position": index})


@transaction.atomic
def delete_stage(actor, stage: Stage, move_to=None) -> int:
    """Delete a stage. Its deals (open, closed or in the trash) must go somewhere: without
    ``move_to`` (another stage of the pipeline) the deletion is refused. Returns how many
    deals were moved."""
    require_settings_writer(actor)
    deals = list(Deal.all_objects.filter(stage=stage).select_related("person", "organization"))
    if not deals:
        stage.delete()
        return 0
    target = stage.pipeline.stages.exclude(pk=stage.pk).filter(pk=parse_id(move_to)).first()
    if target is None:
        message = ngettext(
            "%(count)d deal is in this stage. Choose the stage to move it to.",
            "%(count)d deals are in this stage. Choose the stage to move them to.",
            len(deals),
        ) % {"count": len(deals)}
        raise ValidationError({"move_to": [message]})
    now = timezone.now()
    for deal in deals:
        before = deal.audit_snapshot()
        deal.stage = target
        if deal.status == OPEN:
            # Cadences stay quiet: the settings changed, the customer did not move.
            _enter_stage(actor, deal, stage, now)
        records.save_changes(actor, deal, before)
    stage.delete()
    return len(deals)


# ---- lost reasons and competitors ---------------------------------------------------------


def lost_reasons(*, active_only: bool = False):
    reasons = LostReason.objects.all()
    return reasons.filter(is_active=True) if active_only else reasons


def _clean_named(model, data: dict, obj, extra: dict) -> dict:
    errors = FieldErrors()
    clean = {}
    if "name" in data or obj.pk is None:
        clean["name"] = errors.check(
            "name", lambda: text(data.get("name"), max_length=100, required=True), ""
        )
        _unique_name(model, clean["name"], errors, obj.pk)
    for name, cleaner in extra.items():
        if name in data:
            clean[name] = errors.check(name, lambda c=cleaner, n=name: c(data[n]))
    errors.raise_if_any()
    return clean


_REASON_FIELDS = {
    "position": lambda v: whole_number(v, minimum=0, maximum=MAX_POSITION) or 0,
    "is_active": is_yes,
}
_COMPETITOR_FIELDS = {"website": clean_website}


def _save_named(actor, model, obj, data: dict, extra: dict):
    require_settings_writer(actor)
    for name, value in _clean_named(model, data, obj, extra).items():
        setattr(obj, name, value)
    obj.save()
    return obj


def create_lost_reason(actor, data: dict) -> LostReason:
    return _save_named(actor, LostReason, LostReason(), data, _REASON_FIELDS)


def update_lost_reason(actor, reason: LostReason, data: dict) -> LostReason:
    return _save_named(actor, LostReason, reason, data, _REASON_FIELDS)


def create_competitor(actor, data: dict) -> Competitor:
    return _save_named(actor, Competitor, Competitor(), data, _COMPETITOR_FIELDS)


def update_competitor(actor, competitor: Competitor, data: dict) -> Competitor:
    return _save_named(actor, Competitor, competitor, data, _COMPETITOR_FIELDS)


# ---- deals: cleaning ----------------------------------------------------------------------


def _clean_pipeline_and_stage(data: dict, deal: Deal, errors: FieldErrors) -> dict:
    """The deal's pipeline and stage: named ones must be active and belong together; a
    missing pipeline is the first active one, a missing stage its first active stage."""
    pipeline = deal.pipeline if deal.pk else None
    if data.get("pipeline") not in (None, ""):
        chosen = Pipeline.objects.filter(pk=parse_id(data["pipeline"])).first()
        if chosen is None or (not chosen.is_active and chosen != pipeline):
            errors.add("pipeline", _("Choose an active pipeline."))
            return {}
        pipeline = chosen
    elif pipeline is None:
        pipeline = default_pipeline()
        if pipeline is None:
            errors.add("pipeline", _("There is no active pipeline. A manager must create one."))
            return {}
    stage = deal.stage if deal.pk and pipeline.pk == deal.pipeline_id else None
    if data.get("stage") not in (None, ""):
        stage = active_stages(pipeline).filter(pk=parse_id(data["stage"])).first()
        if stage is None and deal.pk and parse_id(data["stage"]) == deal.stage_id:
            stage = deal.stage  # staying in a stage deactivated since is fine
        if stage is None:
            errors.add("stage", _("Choose an active stage of the chosen pipeline."))
            return {}
    elif stage is None:
        stage = active_stages(pipeline).first()
        if stage is None:
            errors.add("stage", _("This pipeline has no active stage."))
            return {}
    if deal.pk and stage.pk != deal.stage_id and deal.status != OPEN:
        errors.add("stage", _("Reopen the deal before moving it to another stage."))
    return {"pipeline": pipeline, "stage": stage}


def _clean_customer(actor, data: dict, errors: FieldErrors) -> dict:
    clean = {}
    for name, queryset, missing in (
        ("person", visible_people, _("There is no such person.")),
        ("organization", visible_organizations, _("There is no such organization.")),
    ):
        if name not in data:
            continue
        clean[name] = None
        if data[name] not in (None, ""):
            clean[name] = queryset(actor).filter(pk=parse_id(data[name])).first()
            if clean[name] is None:
                errors.add(name, missing)
    return clean


def _clean_products(raw, errors: FieldErrors, unit: str) -> list[dict]:
    rows = []
    items = as_list(raw, "products", errors)
    catalogue = Product.objects.filter(is_active=True).in_bulk(
        [parse_id(i.get("product") if isinstance(i, dict) else i) for i in items]
    )
    for i, item in enumerate(items):
        item = item if isinstance(item, dict) else {"product": item}
        product = catalogue.get(parse_id(item.get("product")))
        if product is None:
            errors.add(f"products.{i}.product", _("Choose an active product of the catalogue."))
        amount = item.get("quantity")
        count = errors.check(
            f"products.{i}.quantity", lambda a=amount: quantity(1 if a in (None, "") else a)
        )
        price = errors.check(
            f"products.{i}.unit_price", lambda p=item.get("unit_price"): rials(p, unit=unit)
        )
        if product is not None and count is not None:
            rows.append(
                {
                    "product": product,
                    "quantity": count,
                    "unit_price": product.price if price is None else price,
                }
            )
    return rows


def _clean_competitors(raw, errors: FieldErrors) -> list[Competitor]:
    """Competitors by id or by exact name."""
    found = []
    for i, item in enumerate(as_list(raw, "competitors", errors)):
        competitor = None
        if isinstance(item, int) or (isinstance(item, str) and parse_id(item) is not None):
            competitor = Competitor.objects.filter(pk=parse_id(item)).first()
        elif isinstance(item, str) and item.strip():
            competitor = Competitor.objects.filter(name=item.strip()).first()
        if competitor is None:
            errors.add(f"competitors.{i}", _("There is no such competitor."))
        else:
            found.append(competitor)
    return list(dict.fromkeys(found))


def _clean_deal(actor, data: dict, deal: Deal, unit: str) -> dict:
    errors = FieldErrors()
    creating = deal.pk is None
    clean = {}
    if "title" in data or creating:
        clean["title"] = errors.check(
            "title", lambda: text(data.get("title"), max_length=200, required=True), ""
        )
    if creating or "pipeline" in data or "stage" in data:
        clean.update(_clean_pipeline_and_stage(data, deal, errors))
    if "amount" in data:
        clean["amount"] = errors.check("amount", lambda: rials(data["amount"], unit=unit))
    if "expected_close" in data:
        clean["expected_close"] = errors.check(
            "expected_close", lambda: date(data["expected_close"])
        )
    clean.update(_clean_customer(actor, data, errors))
    if "source" in data:
        clean["source"] = errors.check("source", lambda: choice(data["source"], Source.values), "")
    if creating or "owner" in data or "team" in data:
        clean["owner"], clean["team"] = clean_owner(
            actor, data, errors, deal.owner if deal.pk else None
        )
    if "products" in data:
        clean["products"] = _clean_products(data["products"], errors, unit)
    if "competitors" in data:
        clean["competitors"] = _clean_competitors(data["competitors"], errors)
    errors.raise_if_any()
    if clean.get("amount") is None and (creating or "amount" in clean):
        # No amount typed: what the products come to (nothing without products).
        clean["amount"] = sum(
            pricing.line_gross(pricing.LineInput(p["quantity"], p["unit_price"]))
            for p in clean.get("products", [])
        )
    return clean


# ---- deals: writing -----------------------------------------------------------------------

_RELATED = ("products", "competitors")


def deal_search_text(title: str, *customer_names: str) -> str:
    """What deal search reads: the normalised title and the names of its customers."""
    return " ".join(key for key in map(search_key, (title, *customer_names)) if key)


def _apply(deal: Deal, clean: dict) -> None:
    for name, value in clean.items():
        if name not in _RELATED:
            setattr(deal, name, value)
    deal.search_text = deal_search_text(
        deal.title,
        str(deal.person) if deal.person_id else "",
        deal.organization.name if deal.organization_id else "",
    )


def _write_related(deal: Deal, clean: dict) -> None:
    if "products" in clean:
        deal.product_lines.all().delete()
        DealProduct.objects.bulk_create(DealProduct(deal=deal, **row) for row in clean["products"])
    if "competitors" in clean:
        deal.competitors.set(clean["competitors"])


def _column(pipeline_id, stage_id):
    return Deal.objects.filter(pipeline_id=pipeline_id, stage_id=stage_id, status=OPEN)


def _top_position(pipeline_id, stage_id) -> float:
    first = _column(pipeline_id, stage_id).aggregate(first=Min("board_position"))["first"]
    return 0.0 if first is None else first - 1


def _enter_stage(actor, deal: Deal, from_stage, at) -> StageChange:
    """Record the deal entering its (new) stage or closing; the history reads these rows."""
    deal.stage_entered_at = at
    return StageChange.objects.create(
        deal=deal, from_stage=from_stage, to_stage=deal.stage, status=deal.status, at=at, by=actor
    )


@transaction.atomic
def create_deal(actor, data: dict, *, unit: str = "rial") -> Deal:
    """A new open deal at the top of its stage's column.

    ``data`` keys: title, pipeline, stage, amount, expected_close, person, organization,
    source, owner, team, products ([{product, quantity, unit_price}]), competitors.
    ``unit="toman"`` reads the amounts as the forms show them.
    """
    require_write(actor)  # before validation: a viewer hears "read only", not field errors
    deal = Deal()
    clean = _clean_deal(actor, data, deal, unit)
    _apply(deal, clean)
    now = timezone.now()
    deal.created_by = actor
    deal.last_activity_at = now
    deal.board_position = _top_position(deal.pipeline_id, deal.stage_id)
    deal.stage_entered_at = now
    deal.save()
    _write_related(deal, clean)
    _enter_stage(actor, deal, None, now)
    records.record_created(actor, deal)
    cadences.on_stage_entered(actor, deal)
    return deal


@transaction.atomic
def update_deal(
    actor, deal: Deal, data: dict, expected_version: int | None = None, *, unit: str = "rial"
) -> Deal:
    """Change what ``data`` names; a new stage (or pipeline) is entered as a move is."""
    require_write(actor)
    deal = records.locked(Deal, deal.pk)
    records.check_version(deal, expected_version)  # a stale edit hears that first
    clean = _clean_deal(actor, data, deal, unit)
    before = deal.audit_snapshot()
    previous_stage = deal.stage
    _apply(deal, clean)
    _write_related(deal, clean)
    entered = deal.stage_id != previous_stage.pk
    if entered:
        deal.board_position = _top_position(deal.pipeline_id, deal.stage_id)
        _enter_stage(actor, deal, previous_stage, timezone.now())
    records.save_changes(actor, deal, before)
    if entered:
        cadences.on_stage_entered(actor, deal)
    return deal


def _require_open(deal: Deal) -> None:
    if deal.status != OPEN:
        raise ValidationError({"status": [_("This deal is closed. Reopen it first.")]})


def _renumber(column) -> None:
    """Space a column's cards evenly again (positions 0, 1, 2…), keeping their order."""
    cards = list(column.order_by("board_position", "id").only("pk", "board_position"))
    for i, card in enumerate(cards):
        card.board_position = float(i)
    Deal.objects.bulk_update(cards, ["board_position"], batch_size=500)


def _position_beside(column, before_id, after_id, *, renumbered: bool = False) -> float:
    """A position just before the card ``before_id`` or just after ``after_id``; the top of
    the column when neither is in it."""
    anchor = (
        column.filter(pk=parse_id(before_id or after_id)).values("pk", "board_position").first()
    )
    if anchor is None:
        first = column.aggregate(first=Min("board_position"))["first"]
        return 0.0 if first is None else first - 1
    at, pk = anchor["board_position"], anchor["pk"]
    if before_id:
        earlier = Q(board_position__lt=at) | Q(board_position=at, pk__lt=pk)
        neighbour = column.filter(earlier).order_by("-board_position", "-id")
        step = -1
    else:
        later = Q(board_position__gt=at) | Q(board_position=at, pk__gt=pk)
        neighbour = column.filter(later).order_by("board_position", "id")
        step = 1
    other = neighbour.values_list("board_position", flat=True).first()
    if other is None:
        return at + step
    if abs(other - at) < MIN_POSITION_GAP and not renumbered:
        _renumber(column)
        return _position_beside(column, before_id, after_id, renumbered=True)
    return (at + other) / 2


@transaction.atomic
def move_deal(
    actor,
    deal: Deal,
    stage_id,
    *,
    before_id=None,
    after_id=None,
    expected_version: int | None = None,
) -> Deal:
    """Move an open deal to a stage of its pipeline, just before the card ``before_id`` or
    after ``after_id`` (the top of the column when neither is given): the board's drop."""
    require_write(actor)
    deal = records.locked(Deal, deal.pk)
    records.check_version(deal, expected_version)
    _require_open(deal)
    stage = active_stages(deal.pipeline).filter(pk=parse_id(stage_id)).first()
    if stage is None:
        raise ValidationError({"stage": [_("Choose an active stage of the deal's pipeline.")]})
    column = _column(deal.pipeline_id, stage.pk).exclude(pk=deal.pk)
    deal.board_position = _position_beside(column, before_id, after_id)
    if stage.pk == deal.stage_id:
        # Reordering within a column changes nothing a user audits or edits.
        Deal.all_objects.filter(pk=deal.pk).update(board_position=deal.board_position)
        return deal
    before = deal.audit_snapshot()
    previous_stage, deal.stage = deal.stage, stage
    _enter_stage(actor, deal, previous_stage, timezone.now())
    records.save_changes(actor, deal, before)
    cadences.on_stage_entered(actor, deal)
    return deal


def _set_status(actor, deal: Deal, status: str, **fields) -> Deal:
    before = deal.audit_snapshot()
    deal.status = status
    for name, value in fields.items():
        setattr(deal, name, value)
    _enter_stage(actor, deal, deal.stage, timezone.now())
    records.save_changes(actor, deal, before)
    return deal


@transaction.atomic
def win_deal(actor, deal: Deal, expected_version: int | None = None) -> Deal:
    require_write(actor)
    deal = records.locked(Deal, deal.pk)
    records.check_version(deal, expected_version)
    _require_open(deal)
    return _set_status(actor, deal, Deal.Status.WON, closed_at=timezone.now())


@transaction.atomic
def lose_deal(actor, deal: Deal, reason_id, note="", expected_version: int | None = None) -> Deal:
    """Close a deal as lost, for a reason from the active list (required)."""
    require_write(actor)
    deal = records.locked(Deal, deal.pk)
    records.check_version(deal, expected_version)
    _require_open(deal)
    errors = FieldErrors()
    reason = lost_reasons(active_only=True).filter(pk=parse_id(reason_id)).first()
    if reason is None:
        errors.add("reason", _("Choose why the deal was lost from the list."))
    note = errors.check("note", lambda: text(note, max_length=2000), "")
    errors.raise_if_any()
    return _set_status(
        actor,
        deal,
        Deal.Status.LOST,
        closed_at=timezone.now(),
        lost_reason=reason,
        lost_note=note,
    )


@transaction.atomic
def reopen_deal(actor, deal: Deal, expected_version: int | None = None) -> Deal:
    """A won or lost deal goes back on the board, at the top of its stage."""
    require_write(actor)
    deal = records.locked(Deal, deal.pk)
    records.check_version(deal, expected_version)
    if deal.status == OPEN:
        raise ValidationError({"status": [_("This deal is already open.")]})
    now = timezone.now()
    # Reopening is itself a touch: without it the deal would be flagged at once.
    return _set_status(
        actor,
        deal,
        OPEN,
        closed_at=None,
        lost_reason=None,
        lost_note="",
        last_activity_at=now,
        board_position=_top_position(deal.pipeline_id, deal.stage_id),
    )


@transaction.atomic
def trash_deal(actor, deal: Deal, expected_version: int | None = None) -> None:
    require_delete(actor, deal)
    deal = records.locked(Deal, deal.pk)
    records.check_version(deal, expected_version)
    records.trash(actor, deal)


@transaction.atomic
def restore_deal(actor, deal: Deal) -> None:
    require_delete(actor, deal)
    records.restore(actor, records.locked(Deal, deal.pk))


def note_activity(deal_id: int, at: dt.datetime) -> None:
    """An activity was logged on the deal at ``at``: rotting is measured from the latest.

    Not a user's edit of the deal, so neither versioned nor audited (the activity is)."""
    moment = min(at, timezone.now())
    Deal.all_objects.filter(pk=deal_id, last_activity_at__lt=moment).update(last_activity_at=moment)


# ---- deals: reading -----------------------------------------------------------------------


def visible_deals(user):
    return visible(Deal.objects.all(), user)


def trashed_deals(user):
    return visible(Deal.trashed.all(), user)


def deal_detail(user, pk) -> Deal:
    """The deal with what its page shows, or 404 when ``user`` may not see it."""
    queryset = (
        visible_deals(user)
        .select_related("pipeline", "stage", "person", "organization", "owner", "team")
        .select_related("lost_reason")
        .prefetch_related(
            "competitors",
            Prefetch("product_lines", queryset=DealProduct.objects.select_related("product")),
        )
    )
    return get_object_or_404(queryset, pk=pk)


def is_rotting(deal: Deal, now: dt.datetime | None = None) -> bool:
    """Open, and no activity for longer than its stage allows."""
    days = deal.stage.rotting_days
    if deal.status != OPEN or days is None:
        return False
    return (now or timezone.now()) - deal.last_activity_at > dt.timedelta(days=days)


_FILTER_IDS = ("pipeline", "stage", "owner", "team", "product")
FIRST_JALALI_YEAR, LAST_JALALI_YEAR = 1379, 1479  # the calendar table's range


def clean_filters(params) -> dict:
    """The list and board filters from query parameters (any digits); one ValidationError
    names every filter that cannot be read."""
    errors = FieldErrors()
    clean = {}
    for name in _FILTER_IDS:
        raw = params.get(name)
        if raw not in (None, ""):
            clean[name] = parse_id(raw)
            if clean[name] is None:
                errors.add(name, _("Enter a whole number."))
    if params.get("status"):
        clean["status"] = errors.check(
            "status", lambda: choice(params.get("status"), Deal.Status.values)
        )
    for name, low, high in (
        ("close_year", FIRST_JALALI_YEAR, LAST_JALALI_YEAR),
        ("close_month", 1, 12),
    ):
        clean[name] = errors.check(
            name,
            lambda n=name, lo=low, hi=high: whole_number(params.get(n), minimum=lo, maximum=hi),
        )
    if clean["close_month"] and not clean["close_year"]:
        errors.add("close_year", _("Choose the year of the month too."))
    if params.get("q"):
        clean["q"] = errors.check("q", lambda: text(params.get("q"), max_length=200), "")
    clean["rotting"] = is_yes(params.get("rotting"))
    errors.raise_if_any()
    return clean


def _close_range(year: int, month: int | None) -> tuple | None:
    """First and last Gregorian day of a Jalali month (or year), from the calendar table."""
    days = JalaliDay.objects.filter(year=year)
    if month:
        days = days.filter(month=month)
    span = days.aggregate(first=Min("date"), last=Max("date"))
    return (span["first"], span["last"]) if span["first"] else None


def _rotting_condition(now: dt.datetime) -> Q:
    condition = Q(pk__in=[])
    for stage_id, days in Stage.objects.filter(rotting_days__isnull=False).values_list(
        "pk", "rotting_days"
    ):
        condition |= Q(stage_id=stage_id, last_activity_at__lt=now - dt.timedelta(days=days))
    return Q(status=OPEN) & condition


def filter_deals(queryset, filters: dict):
    """``queryset`` narrowed by cleaned filters (``clean_filters``)."""
    queryset = filter_search_text(queryset, filters.get("q"))
    for name in ("pipeline", "stage", "owner", "team"):
        if filters.get(name):
            queryset = queryset.filter(**{f"{name}_id": filters[name]})
    if filters.get("product"):
        has_product = DealProduct.objects.filter(deal=OuterRef("pk"), product_id=filters["product"])
        queryset = queryset.filter(Exists(has_product))
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("close_year"):
        span = _close_range(filters["close_year"], filters.get("close_month"))
        queryset = queryset.filter(expected_close__range=span) if span else queryset.none()
    if filters.get("rotting"):
        queryset = queryset.filter(_rotting_condition(timezone.now()))
    return queryset


SORTS = {
    "-created": ("created_at", True),
    "created": ("created_at", False),
    "-amount": ("amount", True),
    "amount": ("amount", False),
    "-updated": ("updated_at", True),
}


def deals_page(user, params, limit: int):
    """One keyset page of the visible deals the filters match, and the next cursor."""
    sort = params.get("sort") or "-created"
    if sort not in SORTS:
        raise ValidationError({"sort": [_("Unknown sort order.")]})
    field_name, descending = SORTS[sort]
    deals = filter_deals(visible_deals(user), clean_filters(params)).select_related(
        "pipeline", "stage", "person", "organization", "owner"
    )
    return keyset_page(deals, field_name, descending, params.get("cursor"), limit)


def deals_count(user, params, limit: int | None = None) -> BoundedCount:
    deals = filter_deals(visible_deals(user), clean_filters(params))
    return count_up_to(deals, limit or settings.PEYVAND["EXACT_COUNT_LIMIT"])


# ---- the board ----------------------------------------------------------------------------

BOARD_FILTERS = ("owner", "team", "product", "close_year", "close_month")


@dataclass
class BoardColumn:
    stage: Stage
    cards: list
    count: int
    total: int
    next_cursor: str | None


@dataclass
class Board:
    pipeline: Pipeline
    filters: dict
    columns: list[BoardColumn] = field(default_factory=list)


def _board_deals(user, pipeline: Pipeline, filters: dict):
    deals = visible_deals(user).filter(pipeline=pipeline, status=OPEN)
    return filter_deals(deals, {k: v for k, v in filters.items() if k in BOARD_FILTERS})


def _cards(deals, stage: Stage, cursor: str | None, limit: int):
    column = deals.filter(stage=stage).select_related("person", "organization", "owner")
    cards, next_cursor = keyset_page(column, "board_position", False, cursor, limit)
    now = timezone.now()
    for card in cards:
        card.stage = stage
        card.rotting = is_rotting(card, now)
    return cards, next_cursor


def board(user, pipeline: Pipeline, filters, per_column: int = 50) -> Board:
    """The kanban of one pipeline: a column per active stage with its first ``per_column``
    open deals visible to ``user``, and each column's count and total (one aggregate).

    ``filters``: owner, team, product, close_year, close_month (raw or cleaned). Costs a
    fixed number of queries (two plus one per column), never one per card.
    """
    filters = clean_filters(filters)
    deals = _board_deals(user, pipeline, filters)
    totals = {
        row["stage_id"]: row
        for row in deals.order_by()
        .values("stage_id")
        .annotate(count=Count("id"), total=Sum("amount"))
    }
    result = Board(pipeline=pipeline, filters=filters)
    for stage in active_stages(pipeline):
        cards, next_cursor = _cards(deals, stage, None, per_column)
        summary = totals.get(stage.pk, {})
        result.columns.append(
            BoardColumn(
                stage=stage,
                cards=cards,
                count=summary.get("count", 0),
                total=summary.get("total") or 0,
                next_cursor=next_cursor,
            )
        )
    return result


def board_cards(user, pipeline: Pipeline, stage: Stage, filters, cursor: str, per_column=50):
    """The next cards of one column ("show more"), and the cursor after them."""
    deals = _board_deals(user, pipeline, clean_filters(filters))
    return _cards(deals, stage, cursor, per_column)


# ---- stage history ------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    change: StageChange
    duration: dt.timedelta | None  # until the next change; None once closed
    ongoing: bool  # the deal is still there


def stage_history(deal: Deal, now: dt.datetime | None = None) -> list[HistoryEntry]:
    """Each stage change and close, oldest first, with the time until the next one."""
    now = now or timezone.now()
    changes = list(deal.stage_changes.select_related("from_stage", "to_stage", "by"))
    entries = []
    for i, change in enumerate(changes):
        following = changes[i + 1] if i + 1 < len(changes) else None
        ongoing = following is None and change.status == OPEN and deal.status == OPEN
        if following is not None:
            duration = following.at - change.at
        else:
            duration = now - change.at if ongoing else None
        entries.append(HistoryEntry(change, duration, ongoing))
    return entries


def time_in_stages(history: list[HistoryEntry]) -> list[tuple]:
    """``(stage, total time)`` for every stage the deal was open in, in first-entered order."""
    totals: dict = {}
    for entry in history:
        if entry.change.status == OPEN and entry.duration is not None:
            stage = entry.change.to_stage
            totals[stage] = totals.get(stage, dt.timedelta()) + entry.duration
    return list(totals.items())
