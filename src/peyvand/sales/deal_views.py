"""Deal pages: the kanban board, the list, a deal's page and forms, and the pipeline settings
(pipelines and stages, lost reasons, competitors, follow-up cadences).

Thin by design: parse the request, call ``sales.deals`` / ``sales.cadences`` (which check
rights, versions and input), render. Board actions (move, win, lose) answer an HTMX
request with the board again, so its columns and totals are always the stored ones.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from peyvand.accounts.models import Team
from peyvand.activities import forms as activity_forms
from peyvand.activities import selectors as activity_selectors
from peyvand.activities import services as activity_services
from peyvand.core import jalali, money
from peyvand.core.errors import StaleVersionError
from peyvand.core.visibility import can_write
from peyvand.customers.forms import parse_version
from peyvand.customers.models import Source
from peyvand.customers.selectors import visible_organizations, visible_people

from . import cadences, deal_forms, deals
from .forecast import MONTH_NAMES
from .leads import assignable_owners
from .models import Cadence, Competitor, Deal, LostReason, Pipeline, Product, Stage
from .orders import visible_orders
from .quotes import visible_quotes

BOARD_PER_COLUMN = 50
PARAMS_KEPT = ("pipeline", *deals.BOARD_FILTERS)  # what a board action keeps in its URL


def _error_messages(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _flat(exc: ValidationError) -> str:
    return " ".join(message for field in _error_messages(exc).values() for message in field)


def _posted_version(request) -> int | None:
    """The version the form was opened at; absent: not checked; garbage: stale."""
    raw = request.POST.get("version", "")
    return parse_version(raw) if raw else None


def _teams(user):
    return Team.objects.all() if user.is_admin else Team.objects.filter(pk__in=user.team_ids)


def _require_manager(user) -> None:
    if not (user.is_admin or user.is_manager):
        raise PermissionDenied(_("Only a manager or an administrator may change sales settings."))


def duration_label(delta) -> str:
    """``3 days 4 hours``: days and hours, or minutes for a short stay (digits localised by
    the template)."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if not days and not hours:
        parts.append(
            ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        )
    return " ".join(parts)


# ---- the board ----------------------------------------------------------------------------


def _kept_query(params) -> str:
    """The pipeline and board filters of ``params``, for URLs that must show the same board."""
    kept = QueryDict(mutable=True)
    for name in PARAMS_KEPT:
        if params.get(name):
            kept[name] = params[name]
    return kept.urlencode()


def _board_pipeline(params) -> Pipeline | None:
    raw = params.get("pipeline")
    if not raw:
        return deals.default_pipeline()
    pipeline = Pipeline.objects.filter(pk=deals.parse_id(raw)).first()
    if pipeline is None:
        raise Http404
    return pipeline


def _card_labels() -> dict:
    """What every card says, translated once per board rather than once per card."""
    return {
        "move_to_stage": _("Move to stage"),
        "move": _("Move"),
        "won_or_lost": _("Won or lost"),
        "rotting": _("Rotting"),
        "rotting_hint": _("No activity for longer than this stage allows"),
        "expected_close": _("Expected close"),
    }


def _board_context(request, pipeline: Pipeline, params, **extra) -> dict:
    filter_errors = {}
    try:
        board = deals.board(request.user, pipeline, params, per_column=BOARD_PER_COLUMN)
    except ValidationError as exc:
        filter_errors = _error_messages(exc)
        board = deals.board(request.user, pipeline, {}, per_column=BOARD_PER_COLUMN)
    return {
        "board": board,
        "filter_errors": filter_errors,
        **_card_context(request, pipeline, [column.stage for column in board.columns], params),
        **extra,
    }


def _card_context(request, pipeline: Pipeline, stages: list, params) -> dict:
    """What the cards need besides themselves."""
    return {
        "pipeline": pipeline,
        "stages": stages,
        "kept_query": _kept_query(params),
        "labels": _card_labels(),
        "can_write": can_write(request.user),
    }


@login_required
def board(request):
    pipeline = _board_pipeline(request.GET)
    if pipeline is None:
        return render(request, "sales/deals/board.html", {"pipeline": None})
    context = _board_context(request, pipeline, request.GET)
    context.update(
        pipelines=deals.pipelines(active_only=True),
        params=request.GET,
        owners=assignable_owners(request.user),
        teams=_teams(request.user),
        products=Product.objects.filter(is_active=True),
        months=list(enumerate(MONTH_NAMES, start=1)),
        this_year=jalali.format_date(timezone.localdate())[:4],
    )
    return render(request, "sales/deals/board.html", context)


@login_required
def board_more(request):
    """The next cards of one column ("show more"), appended by HTMX."""
    pipeline = _board_pipeline(request.GET)
    if pipeline is None:
        raise Http404
    stages = list(deals.active_stages(pipeline))
    stage = next((s for s in stages if s.pk == deals.parse_id(request.GET.get("stage"))), None)
    if stage is None:
        raise Http404
    try:
        cards, cursor = deals.board_cards(
            request.user, pipeline, stage, request.GET, request.GET.get("cursor"), BOARD_PER_COLUMN
        )
    except ValidationError:
        raise Http404 from None  # a tampered cursor or filter: there is no such page
    context = _card_context(request, pipeline, stages, request.GET)
    context.update(cards=cards, stage=stage, next_cursor=cursor)
    return render(request, "sales/deals/_board_more.html", context)


@login_required
def deal_card_actions(request, pk):
    """A card's won/lost controls, loaded when the card's "Won or lost" is first opened."""
    context = {
        "deal": deals.deal_detail(request.user, pk),
        "kept_query": _kept_query(request.GET),
        "lost_reasons": deals.lost_reasons(active_only=True),
    }
    return render(request, "sales/deals/_card_actions.html", context)


def _attempt(operation) -> str | None:
    """Run a deal operation; the reason it was refused, for the user, or None."""
    try:
        operation()
    except StaleVersionError as exc:
        return f"{exc.message} {_('The board shows the deal as it is now.')}"
    except ValidationError as exc:
        return _flat(exc)
    except PermissionDenied as exc:
        return str(exc)
    return None


def _after_action(request, deal: Deal, error: str | None, done: str):
    """Back to where the action came from: the board (a fresh board for HTMX) or the deal."""
    if request.POST.get("from") == "board":
        if request.htmx:
            pipeline = Pipeline.objects.get(pk=deal.pipeline_id)
            context = _board_context(
                request, pipeline, request.GET, message=error, done=None if error else done
            )
            context["focus"] = deal.pk
            return render(request, "sales/deals/_board.html", context)
        target = f"{reverse('sales:board')}?{_kept_query(request.GET)}"
    else:
        target = reverse("sales:deal_detail", args=[deal.pk])
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(target)


@require_POST
@login_required
def deal_move(request, pk):
    deal = deals.deal_detail(request.user, pk)
    error = _attempt(
        lambda: deals.move_deal(
            request.user,
            deal,
            request.POST.get("stage"),
            before_id=request.POST.get("before") or None,
            after_id=request.POST.get("after") or None,
            expected_version=_posted_version(request),
        )
    )
    stage = Stage.objects.filter(pk=deals.parse_id(request.POST.get("stage"))).first()
    done = _("«%(deal)s» moved to «%(stage)s».") % {"deal": deal.title, "stage": stage}
    return _after_action(request, deal, error, done)


@require_POST
@login_required
def deal_win(request, pk):
    deal = deals.deal_detail(request.user, pk)
    error = _attempt(lambda: deals.win_deal(request.user, deal, _posted_version(request)))
    return _after_action(request, deal, error, _("«%(deal)s» is won.") % {"deal": deal.title})


@require_POST
@login_required
def deal_lose(request, pk):
    deal = deals.deal_detail(request.user, pk)
    error = _attempt(
        lambda: deals.lose_deal(
            request.user,
            deal,
            request.POST.get("reason"),
            request.POST.get("note", ""),
            _posted_version(request),
        )
    )
    return _after_action(request, deal, error, _("«%(deal)s» is lost.") % {"deal": deal.title})


@require_POST
@login_required
def deal_reopen(request, pk):
    deal = deals.deal_detail(request.user, pk)
    error = _attempt(lambda: deals.reopen_deal(request.user, deal, _posted_version(request)))
    return _after_action(
        request, deal, error, _("«%(deal)s» is open again.") % {"deal": deal.title}
    )


# ---- the list -----------------------------------------------------------------------------


@login_required
def deal_list(request):
    params = request.GET
    errors: dict = {}
    total = None
    try:
        items, next_cursor = deals.deals_page(request.user, params, settings.PEYVAND["PAGE_SIZE"])
        total = deals.deals_count(request.user, params)
    except ValidationError as exc:
        items, next_cursor, errors = [], None, _error_messages(exc)
    pipelines = deals.pipelines()
    context = {
        "items": items,
        "next_cursor": next_cursor,
        "total": total,
        "filter_errors": errors,
        "params": params,
        "pipelines": pipelines,
        "stages": [stage for pipeline in pipelines for stage in pipeline.stages.all()],
        "statuses": Deal.Status.choices,
        "owners": assignable_owners(request.user),
        "teams": _teams(request.user),
        "products": Product.objects.filter(is_active=True),
        "months": list(enumerate(MONTH_NAMES, start=1)),
        "this_year": jalali.format_date(timezone.localdate())[:4],
        "sorts": [
            ("-created", _("Newest")),
            ("created", _("Oldest")),
            ("-amount", _("Largest amount")),
            ("amount", _("Smallest amount")),
            ("-updated", _("Recently changed")),
        ],
        "current_sort": params.get("sort") or "-created",
        "can_write": can_write(request.user),
    }
    return render(request, "sales/deals/deal_list.html", context)


# ---- create and edit ----------------------------------------------------------------------


def _chosen_customers(user, data: dict) -> dict:
    """The person and organisation the form names, when visible (the selects' options)."""
    return {
        "person": visible_people(user).filter(pk=deals.parse_id(data.get("person"))).first(),
        "organization": visible_organizations(user)
        .filter(pk=deals.parse_id(data.get("organization")))
        .first(),
    }


def _form_context(request, deal, data: dict, errors: dict) -> dict:
    pipelines = deals.pipelines()
    return {
        "deal": deal,
        "data": data,
        "errors": errors,
        "chosen": _chosen_customers(request.user, data),
        "pipelines": pipelines,
        "stages": [s for p in pipelines for s in p.stages.all() if s.is_active],
        "product_rows": deal_forms.rows_with_errors(data.get("products", []), "products", errors),
        "products": Product.objects.filter(is_active=True),
        "competitors": Competitor.objects.all(),
        "sources": Source.choices,
        "owners": assignable_owners(request.user),
        "teams": _teams(request.user),
        "money_unit": money.display_unit(),
        "other_errors": [
            m for path, found in errors.items() if path.startswith("competitors.") for m in found
        ],
    }


def _initial_from_query(params) -> dict:
    """A new deal's values from ``?person=``, ``?organization=``, ``?pipeline=``, ``?stage=``."""
    return {name: params.get(name, "") for name in ("person", "organization", "pipeline", "stage")}


def _form(request, deal: Deal | None = None):
    back = redirect("sales:deal_detail", deal.pk) if deal else redirect("sales:deal_list")
    if not can_write(request.user):
        messages.error(request, _("Your role may only read records."))
        return back
    errors: dict = {}
    stale = False
    version = deal.version if deal else None
    unit = money.display_unit()
    if request.method == "POST":
        data = deal_forms.read_deal(request.POST)
        try:
            if deal is None:
                deal = deals.create_deal(request.user, data, unit=unit)
            else:
                version = parse_version(request.POST.get("version"))
                deals.update_deal(request.user, deal, data, version, unit=unit)
        except ValidationError as exc:
            errors = _error_messages(exc)
        except StaleVersionError:
            stale = True
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return back
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:deal_detail", deal.pk)
    else:
        data = deal_forms.initial_deal(deal) if deal else _initial_from_query(request.GET)
    context = _form_context(request, deal, data, errors)
    context.update(stale=stale, stale_message=StaleVersionError.message, version=version)
    status = 422 if errors else (409 if stale else 200)
    return render(request, "sales/deals/deal_form.html", context, status=status)


@login_required
def deal_create(request):
    return _form(request)


@login_required
def deal_edit(request, pk):
    return _form(request, deals.deal_detail(request.user, pk))


@require_POST
@login_required
def deal_delete(request, pk):
    deal = deals.deal_detail(request.user, pk)
    try:
        deals.trash_deal(request.user, deal)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("sales:deal_detail", deal.pk)
    messages.success(request, _("Moved to the trash. You can restore it from the trash page."))
    return redirect("sales:deal_list")


# ---- the deal's page ----------------------------------------------------------------------


def _detail(request, deal: Deal, *, values=None, errors=None, status=200):
    history = deals.stage_history(deal)
    context = {
        "deal": deal,
        "is_rotting": deals.is_rotting(deal),
        "history": [(entry, duration_label(entry.duration)) for entry in history],
        "time_in_stages": [
            (stage, duration_label(spent)) for stage, spent in deals.time_in_stages(history)
        ],
        "activities": activity_selectors.activities_for(request.user, deal)[:100],
        "quotes": visible_quotes(request.user).filter(deal=deal),
        "orders": visible_orders(request.user).filter(deal=deal),
        "stages": deals.active_stages(deal.pipeline),
        "lost_reasons": deals.lost_reasons(active_only=True),
        "can_write": can_write(request.user),
        # The quick "log a call/note/follow-up" form; the activity inputs read `customer`.
        "customer": deal,
        "values": values or {"kind": "call"},
        "errors": errors or {},
    }
    return render(request, "sales/deals/deal_detail.html", context, status=status)


@login_required
def deal_detail(request, pk):
    return _detail(request, deals.deal_detail(request.user, pk))


@require_POST
@login_required
def deal_activity(request, pk):
    """Log a call, note, meeting or follow-up on the deal (through the activities service)."""
    deal = deals.deal_detail(request.user, pk)
    kind = request.POST.get("kind", "")
    data = {**activity_forms.service_data(request.POST, kind), "kind": kind, "deal": deal.pk}
    try:
        activity_services.create_activity(request.user, data)
    except PermissionDenied as exc:
        return _detail(request, deal, values=request.POST, errors={"form": [str(exc)]}, status=403)
    except ValidationError as exc:
        errors = activity_forms.field_errors(exc)
        return _detail(request, deal, values=request.POST, errors=errors, status=422)
    messages.success(request, _("The activity has been saved."))
    return redirect(f"{reverse('sales:deal_detail', args=[deal.pk])}#activities")


# ---- settings: pipelines and stages -------------------------------------------------------


def _settings_page(request, template: str, context: dict, errors: dict):
    context.update(errors=errors, posted=request.POST if errors else {})
    return render(request, template, context, status=422 if errors else 200)


@login_required
def pipeline_list(request):
    _require_manager(request.user)
    errors: dict = {}
    if request.method == "POST":
        try:
            created = deals.create_pipeline(request.user, deal_forms.read_pipeline(request.POST))
        except ValidationError as exc:
            errors = _error_messages(exc)
        else:
            messages.success(request, _("Saved. Now add the pipeline's stages."))
            return redirect("sales:pipeline_edit", created.pk)
    return _settings_page(
        request, "sales/deals/pipeline_list.html", {"pipelines": deals.pipelines()}, errors
    )


def _pipeline_action(request, pipeline: Pipeline) -> None:
    """Run the pipeline page's action; a ValidationError reaches the caller."""
    action = request.POST.get("action")
    if action == "update":
        deals.update_pipeline(request.user, pipeline, deal_forms.read_pipeline(request.POST))
    elif action == "add_stage":
        deals.create_stage(request.user, pipeline, deal_forms.read_stage(request.POST))
    elif action in ("up", "down"):
        stage = get_object_or_404(
            Stage, pipeline=pipeline, pk=deals.parse_id(request.POST.get("stage"))
        )
        deals.move_stage(request.user, stage, -1 if action == "up" else 1)
    else:
        raise ValidationError(_("Unknown action."))


@login_required
def pipeline_edit(request, pk):
    _require_manager(request.user)
    pipeline = get_object_or_404(deals.pipelines(), pk=pk)
    errors: dict = {}
    if request.method == "POST":
        try:
            _pipeline_action(request, pipeline)
        except ValidationError as exc:
            errors = _error_messages(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:pipeline_edit", pipeline.pk)
        pipeline = get_object_or_404(deals.pipelines(), pk=pk)
    context = {"pipeline": pipeline, "action": request.POST.get("action")}
    return _settings_page(request, "sales/deals/pipeline_edit.html", context, errors)


@login_required
def stage_edit(request, pk):
    _require_manager(request.user)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    errors: dict = {}
    if request.method == "POST":
        try:
            deals.update_stage(request.user, stage, deal_forms.read_stage(request.POST))
        except ValidationError as exc:
            errors = _error_messages(exc)
            stage.refresh_from_db()
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:pipeline_edit", stage.pipeline_id)
    return _settings_page(request, "sales/deals/stage_edit.html", {"stage": stage}, errors)


@login_required
def stage_delete(request, pk):
    """Delete a stage; while deals are in it, ask which stage they move to."""
    _require_manager(request.user)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    errors: dict = {}
    if request.method == "POST":
        try:
            moved = deals.delete_stage(request.user, stage, request.POST.get("move_to"))
        except ValidationError as exc:
            errors = _error_messages(exc)
        else:
            messages.success(
                request,
                ngettext(
                    "The stage is deleted; %(count)d deal moved.",
                    "The stage is deleted; %(count)d deals moved.",
                    moved,
                )
                % {"count": moved},
            )
            return redirect("sales:pipeline_edit", stage.pipeline_id)
    context = {
        "stage": stage,
        "deal_count": Deal.all_objects.filter(stage=stage).count(),
        "targets": stage.pipeline.stages.exclude(pk=stage.pk).order_by("position"),
    }
    return _settings_page(request, "sales/deals/stage_delete.html", context, errors)


# ---- settings: lost reasons and competitors -----------------------------------------------


def _named_list(request, *, model, read, create, update, template):
    """A settings list whose rows are edited in place and which adds new rows below."""
    _require_manager(request.user)
    errors: dict = {}
    if request.method == "POST":
        editing = request.POST.get("id")
        try:
            if editing:
                update(
                    request.user,
                    get_object_or_404(model, pk=deals.parse_id(editing)),
                    read(request.POST),
                )
            else:
                create(request.user, read(request.POST))
        except ValidationError as exc:
            errors = _error_messages(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(request.path)
    context = {"items": model.objects.all(), "editing": request.POST.get("id", "")}
    return _settings_page(request, template, context, errors)


@login_required
def lost_reason_list(request):
    return _named_list(
        request,
        model=LostReason,
        read=deal_forms.read_lost_reason,
        create=deals.create_lost_reason,
        update=deals.update_lost_reason,
        template="sales/deals/lost_reason_list.html",
    )


@login_required
def competitor_list(request):
    return _named_list(
        request,
        model=Competitor,
        read=deal_forms.read_competitor,
        create=deals.create_competitor,
        update=deals.update_competitor,
        template="sales/deals/competitor_list.html",
    )


# ---- settings: cadences -------------------------------------------------------------------


@login_required
def cadence_list(request):
    _require_manager(request.user)
    return render(request, "sales/deals/cadence_list.html", {"cadences": cadences.cadences()})


def _cadence_form(request, cadence: Cadence | None):
    _require_manager(request.user)
    errors: dict = {}
    if request.method == "POST":
        data = deal_forms.read_cadence(request.POST)
        try:
            if cadence is None:
                cadences.create_cadence(request.user, data)
            else:
                cadences.update_cadence(request.user, cadence, data)
        except ValidationError as exc:
            errors = _error_messages(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:cadence_list")
    else:
        data = deal_forms.initial_cadence(cadence) if cadence else {"is_active": True, "steps": []}
    context = {
        "cadence": cadence,
        "data": data,
        "errors": errors,
        "step_rows": deal_forms.rows_with_errors(data["steps"], "steps", errors),
        "triggers": Cadence.Trigger.choices,
        "pipelines": deals.pipelines(active_only=True),
    }
    return render(request, "sales/deals/cadence_form.html", context, status=422 if errors else 200)


@login_required
def cadence_create(request):
    return _cadence_form(request, None)


@login_required
def cadence_edit(request, pk):
    return _cadence_form(request, get_object_or_404(Cadence, pk=pk))


@require_POST
@login_required
def cadence_delete(request, pk):
    _require_manager(request.user)
    cadences.delete_cadence(request.user, get_object_or_404(Cadence, pk=pk))
    messages.success(request, _("The cadence is deleted; the tasks it created stay."))
    return redirect("sales:cadence_list")
