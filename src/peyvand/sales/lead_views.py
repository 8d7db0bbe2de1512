"""Pages of leads: the list, the lead form and page (convert, disqualify, trash), the
managers' settings (web forms, assignment rules, scoring rules and the score model), and
the public web form a site embeds.

Thin by design: read the request, call ``sales.leads`` or ``sales.scoring``, render.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from iranian_cities.models import Province

from peyvand.accounts.models import Team
from peyvand.core import money
from peyvand.core.errors import StaleVersionError
from peyvand.core.visibility import can_write
from peyvand.customers.forms import parse_version
from peyvand.customers.models import Source

from . import catalog, deals, lead_forms, leads, scoring
from .models import AssignmentRule, Lead, ScoringRule


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _is_manager(user) -> bool:
    return user.is_admin or user.is_manager


# ---- the list ------------------------------------------------------------------------------


@login_required
def lead_list(request):
    params = request.GET
    errors, total = {}, None
    try:
        items, next_cursor = leads.leads_page(request.user, params, settings.PEYVAND["PAGE_SIZE"])
        total = leads.leads_count(request.user, params)
    except ValidationError as exc:
        items, next_cursor, errors = [], None, _errors(exc)
    context = {
        "items": items,
        "next_cursor": next_cursor,
        "total": total,
        "filter_errors": errors,
        "params": params,
        "statuses": Lead.Status.choices,
        "owners": leads.assignable_owners(request.user),
        "sources": Source.choices,
        "sorts": [
            ("-created", _("Newest")),
            ("created", _("Oldest")),
            ("-score", _("Highest score")),
            ("-updated", _("Recently changed")),
        ],
        "current_sort": params.get("sort") or "-created",
        "can_write": can_write(request.user),
        "is_manager": _is_manager(request.user),
    }
    return render(request, "sales/leads/list.html", context)


# ---- create and edit -----------------------------------------------------------------------


def _form_context(request, lead, data, errors) -> dict:
    placed = {*lead_forms.LEAD_FIELDS, "owner", "team"}
    return {
        "lead": lead,
        "data": data,
        "errors": errors,
        "other_errors": [m for field, ms in errors.items() if field not in placed for m in ms],
        "provinces": Province.objects.order_by("name"),
        "products": catalog.active_products(),
        "sources": Source.choices,
        "statuses": [(s.value, s.label) for s in leads.OPEN_STATUSES],
        "owners": leads.assignable_owners(request.user),
        "teams": Team.objects.all()
        if request.user.is_admin
        else Team.objects.filter(pk__in=request.user.team_ids),
    }


def _form(request, lead=None):
    back = redirect("sales:lead_detail", lead.pk) if lead else redirect("sales:lead_list")
    if not can_write(request.user):
        messages.error(request, _("Your role may only read records."))
        return back
    errors, stale = {}, False
    version = lead.version if lead else None
    if request.method == "POST":
        data = lead_forms.read_lead(request.POST)
        try:
            if lead is None:
                created = leads.create_lead(request.user, data)
                messages.success(request, _("Saved."))
                if leads.visible_leads(request.user).filter(pk=created.pk).exists():
                    return redirect("sales:lead_detail", created.pk)
                messages.info(request, _("The assignment rules gave the lead to another team."))
                return redirect("sales:lead_list")
            version = parse_version(request.POST.get("version"))
            leads.update_lead(request.user, lead, data, expected_version=version)
            messages.success(request, _("Saved."))
            return back
        except ValidationError as exc:
            errors = _errors(exc)
        except StaleVersionError:
            stale = True
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return back
    else:
        data = lead_forms.lead_initial(lead) if lead else {"status": Lead.Status.NEW}
    context = _form_context(request, lead, data, errors)
    context.update(stale=stale, stale_message=StaleVersionError.message, version=version)
    status = 422 if errors else (409 if stale else 200)
    return render(request, "sales/leads/form.html", context, status=status)


@login_required
def lead_create(request):
    return _form(request)


@login_required
def lead_edit(request, pk):
    return _form(request, leads.lead_detail(request.user, pk))


@login_required
@require_POST
def lead_delete(request, pk):
    lead = leads.lead_detail(request.user, pk)
    try:
        leads.trash_lead(request.user, lead)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("sales:lead_detail", lead.pk)
    messages.success(request, _("Moved to the trash. You can restore it from the trash page."))
    return redirect("sales:lead_list")


# ---- the lead page -------------------------------------------------------------------------


def _detail_context(request, lead, **extra) -> dict:
    scoring.label_predictions([lead])
    model = scoring.latest_model()
    context = {
        "lead": lead,
        "can_write": can_write(request.user),
        "is_open": lead.status in leads.OPEN_STATUSES,
        "model": model,
        "model_note": scoring.describe(model),
        "pipelines": deals.pipelines(active_only=True),
        "money_unit": money.display_unit(),
        "conversion": {"create_deal": True, "deal": {}},
        "conversion_errors": {},
        "disqualify_errors": {},
    }
    context.update(extra)
    return context


@login_required
def lead_detail(request, pk):
    lead = leads.lead_detail(request.user, pk)
    return render(request, "sales/leads/detail.html", _detail_context(request, lead))


@login_required
@require_POST
def lead_convert(request, pk):
    lead = leads.lead_detail(request.user, pk)
    data = lead_forms.read_conversion(request.POST)
    version = parse_version(request.POST.get("version"))
    try:
        leads.convert_lead(request.user, lead, data, version, unit=money.display_unit())
    except ValidationError as exc:
        context = _detail_context(request, lead, conversion=data, conversion_errors=_errors(exc))
        return render(request, "sales/leads/detail.html", context, status=422)
    except StaleVersionError:
        messages.error(request, StaleVersionError.message)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The lead was converted."))
    return redirect("sales:lead_detail", lead.pk)


@login_required
@require_POST
def lead_disqualify(request, pk):
    lead = leads.lead_detail(request.user, pk)
    version = parse_version(request.POST.get("version"))
    try:
        leads.disqualify_lead(request.user, lead, request.POST.get("reason"), version)
    except ValidationError as exc:
        context = _detail_context(request, lead, disqualify_errors=_errors(exc))
        return render(request, "sales/leads/detail.html", context, status=422)
    except StaleVersionError:
        messages.error(request, StaleVersionError.message)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The lead was disqualified."))
    return redirect("sales:lead_detail", lead.pk)


# ---- settings: web forms -------------------------------------------------------------------


def _snippet(request, form) -> str:
    script = request.build_absolute_uri(static("sales/leadform.js"))
    return f'<script src="{script}" data-form="{form.key}" async></script>'


def _web_form_page(request, form, data, errors, status=200):
    forms = list(leads.visible_web_forms(request.user))
    context = {
        "web_forms": [(f, _snippet(request, f)) for f in forms],
        "form": form,
        "data": data,
        "errors": errors,
        "teams": leads.managed_teams(request.user),
        "owners": leads.assignable_owners(request.user),
        "sources": Source.choices,
    }
    return render(request, "sales/leads/web_forms.html", context, status=status)


@login_required
def web_form_list(request):
    scoring.require_manager(request.user)
    data, errors = {"is_active": True, "source": Source.WEBSITE}, {}
    if request.method == "POST":
        data = lead_forms.read_web_form(request.POST)
        try:
            leads.create_web_form(request.user, data)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:web_form_list")
    return _web_form_page(request, None, data, errors, 422 if errors else 200)


@login_required
def web_form_edit(request, pk):
    scoring.require_manager(request.user)
    form = get_object_or_404(leads.visible_web_forms(request.user), pk=pk)
    data, errors = lead_forms.web_form_initial(form), {}
    if request.method == "POST":
        data = lead_forms.read_web_form(request.POST)
        try:
            leads.update_web_form(request.user, form, data)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:web_form_list")
    return _web_form_page(request, form, data, errors, 422 if errors else 200)


# ---- settings: assignment rules ------------------------------------------------------------


def _assignment_page(request, rule, data, errors):
    context = {
        "rules": leads.visible_assignment_rules(request.user),
        "rule": rule,
        "data": data,
        "errors": errors,
        "teams": leads.managed_teams(request.user),
        "owners": leads.assignable_owners(request.user),
        "provinces": Province.objects.order_by("name"),
        "products": catalog.active_products(),
        "sources": Source.choices,
        "methods": AssignmentRule.Method.choices,
    }
    status = 422 if errors else 200
    return render(request, "sales/leads/assignment_rules.html", context, status=status)


@login_required
def assignment_rule_list(request):
    scoring.require_manager(request.user)
    data, errors = {"is_active": True, "method": AssignmentRule.Method.ROUND_ROBIN}, {}
    if request.method == "POST":
        data = lead_forms.read_assignment_rule(request.POST)
        try:
            leads.create_assignment_rule(request.user, data)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:assignment_rule_list")
    return _assignment_page(request, None, data, errors)


@login_required
def assignment_rule_edit(request, pk):
    scoring.require_manager(request.user)
    rule = get_object_or_404(leads.visible_assignment_rules(request.user), pk=pk)
    data, errors = lead_forms.assignment_rule_initial(rule), {}
    if request.method == "POST":
        data = lead_forms.read_assignment_rule(request.POST)
        try:
            leads.update_assignment_rule(request.user, rule, data)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:assignment_rule_list")
    return _assignment_page(request, rule, data, errors)


@login_required
@require_POST
def assignment_rule_delete(request, pk):
    scoring.require_manager(request.user)
    rule = get_object_or_404(leads.visible_assignment_rules(request.user), pk=pk)
    leads.delete_assignment_rule(request.user, rule)
    messages.success(request, _("Deleted."))
    return redirect("sales:assignment_rule_list")


# ---- settings: scoring ---------------------------------------------------------------------


def _scoring_page(request, rule, data, errors):
    model = scoring.latest_model()
    context = {
        "rules": ScoringRule.objects.all(),
        "rule": rule,
        "data": data,
        "errors": errors,
        "attributes": ScoringRule.Attribute.choices,
        "provinces": Province.objects.order_by("name"),
        "products": catalog.active_products(),
        "sources": Source.choices,
        "model": model,
        "model_note": scoring.describe(model),
    }
    status = 422 if errors else 200
    return render(request, "sales/leads/scoring.html", context, status=status)


@login_required
def scoring_rule_list(request):
    scoring.require_manager(request.user)
    data, errors = {"is_active": True}, {}
    if request.method == "POST":
        data = lead_forms.read_scoring_rule(request.POST)
        try:
            scoring.create_rule(request.user, data)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Saved. Open leads were scored again."))
            return redirect("sales:scoring_rule_list")
    return _scoring_page(request, None, data, errors)


@login_required
def scoring_rule_edit(request, pk):
    scoring.require_manager(request.user)
    rule = get_object_or_404(ScoringRule, pk=pk)
    data, errors = lead_forms.scoring_rule_initial(rule), {}
    if request.method == "POST":
        data = lead_forms.read_scoring_rule(request.POST)
        try:
            scoring.update_rule(request.user, rule, data)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Saved. Open leads were scored again."))
            return redirect("sales:scoring_rule_list")
    return _scoring_page(request, rule, data, errors)


@login_required
@require_POST
def scoring_rule_delete(request, pk):
    rule = get_object_or_404(ScoringRule, pk=pk)
    scoring.delete_rule(request.user, rule)
    messages.success(request, _("Deleted. Open leads were scored again."))
    return redirect("sales:scoring_rule_list")


@login_required
@require_POST
def score_model_train(request):
    model = scoring.retrain(request.user)
    messages.success(request, scoring.describe(model))
    return redirect("sales:scoring_rule_list")


# ---- the public web form -------------------------------------------------------------------


def _posted_from(request) -> str | None:
    """The origin of the page that posted: Origin, else the Referer's origin."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return origin
    referer = request.headers.get("Referer", "")
    parts = referer.split("/")
    return "/".join(parts[:3]) if referer.startswith(("http://", "https://")) else None


def _public_response(request, form, context: dict, status: int = 200):
    context = {
        "web_form": form,
        "products": catalog.active_products(),
        "honeypot": lead_forms.HONEYPOT,
        "action": reverse("sales:web_form_public", args=[form.key]),
        **context,
    }
    response = render(request, "sales/leads/public_form.html", context, status=status)
    if form.allowed_origins:
        # Only the listed sites may show the form in a frame.
        ancestors = " ".join(["'self'", *form.allowed_origins])
        response["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
    return response


@csrf_exempt  # posted from other sites' pages (in our iframe or their own form)
@xframe_options_exempt  # meant to be framed; frame-ancestors narrows where
def web_form_public(request, key):
    form = leads.active_web_form(key)
    if request.method != "POST":
        return _public_response(request, form, {"data": lead_forms.attribution(request.GET)})
    own_origin = f"{request.scheme}://{request.get_host()}"
    if not leads.origin_allowed(form, _posted_from(request), own_origin):
        context = {"data": {}, "refused": _("This site may not send this form.")}
        return _public_response(request, form, context, status=403)
    data = lead_forms.read_public(request.POST)
    meta = {"client": request.META.get("REMOTE_ADDR", "")}
    try:
        leads.submit_web_form(form, data, meta)
    except leads.TooManySubmissions:
        context = {"data": data, "refused": _("Too many submissions. Please try again later.")}
        return _public_response(request, form, context, status=429)
    except ValidationError as exc:
        return _public_response(request, form, {"data": data, "errors": _errors(exc)}, 422)
    thanks = form.success_message or _("Thank you! We will contact you soon.")
    return _public_response(request, form, {"sent": True, "thanks": thanks})
