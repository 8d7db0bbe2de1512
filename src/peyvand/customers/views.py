"""Pages for people and organisations: lists, forms, the 360 view, tags and custom fields.

Thin by design: parse the request, call a selector or a service, render. Validation,
permissions and versions live in ``services``; visibility in ``selectors``.
"""

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from iranian_cities.models import City, Province

from peyvand.accounts.models import Team, User
from peyvand.activities import selectors as activity_selectors
from peyvand.core.errors import PossibleDuplicateError, StaleVersionError
from peyvand.core.visibility import can_write
from peyvand.transfers import exports
from peyvand.transfers.models import ExportJob

from . import duplicates, export, forms, sales_360, selectors, services
from .custom_fields import definitions
from .models import (
    Address,
    Channel,
    CustomFieldDefinition,
    Email,
    Gender,
    LifecycleStage,
    Organization,
    Person,
    Phone,
    SocialHandle,
    Source,
    Tag,
)

FT = CustomFieldDefinition.FieldType
# The membership select lists this many organisations besides those already linked.
ORGANIZATION_CHOICES_LIMIT = 500


@dataclass(frozen=True)
class Kind:
    """What differs between the person and the organisation pages."""

    entity: str
    model: type
    page: Any
    detail: Any
    create: Any
    update: Any
    prefix: str  # URL name prefix: person_list, person_detail, ...
    create_label: Any
    checks_duplicates: bool = False  # the services take ``allow_duplicate``


PERSON = Kind(
    "person",
    Person,
    selectors.people_page,
    selectors.person_detail,
    services.create_person,
    services.update_person,
    "person",
    gettext_lazy("New person"),
    checks_duplicates=True,
)
ORGANIZATION = Kind(
    "organization",
    Organization,
    selectors.organizations_page,
    selectors.organization_detail,
    services.create_organization,
    services.update_organization,
    "organization",
    gettext_lazy("New organization"),
)


def _url(kind: Kind, page: str) -> str:
    return f"customers:{kind.prefix}_{page}"


def _error_messages(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _assignable_users(user):
    """Who a record may be given to: anyone for an admin, else oneself and team mates."""
    users = User.objects.filter(is_active=True)
    if not user.is_admin:
        users = users.filter(Q(pk=user.pk) | Q(teams__in=user.team_ids)).distinct()
    return users


def _assignable_teams(user):
    return Team.objects.all() if user.is_admin else Team.objects.filter(pk__in=user.team_ids)


# ---- lists ------------------------------------------------------------------------------


def _filter_fields(entity: str, params) -> list[dict]:
    """Custom-field filters: a select where the field has choices, else a text box."""
    fields = []
    for definition in definitions(entity):
        if definition.field_type in (FT.CHOICE, FT.MULTICHOICE):
            options = [(c, c) for c in definition.choices]
        elif definition.field_type == FT.BOOLEAN:
            options = [("1", _("Yes")), ("0", _("No"))]
        else:
            options = None
        name = f"cf_{definition.key}"
        fields.append(
            {
                "name": name,
                "label": definition.label,
                "options": options,
                "value": params.get(name, ""),
            }
        )
    return fields


def _list(request, kind: Kind):
    params = request.GET
    errors = {}
    total = None
    try:
        items, next_cursor = kind.page(request.user, params, settings.PEYVAND["PAGE_SIZE"])
        total = selectors.customers_count(request.user, kind.entity, params)
    except ValidationError as exc:
        items, next_cursor, errors = [], None, _error_messages(exc)
    province = forms.parse_int(params.get("province"))
    context = {
        "items": items,
        "next_cursor": next_cursor,
        "total": total,
        "filter_errors": errors,
        "params": params,
        "tags": Tag.objects.all(),
        "owners": _assignable_users(request.user),
        "stages": LifecycleStage.choices,
        "provinces": Province.objects.order_by("name"),
        "cities": City.objects.filter(province_id=province).order_by("name"),
        "custom_filters": _filter_fields(kind.entity, params),
        "sorts": [
            ("name", _("Name (A–Z)")),
            ("-name", _("Name (Z–A)")),
            ("-created", _("Newest")),
            ("created", _("Oldest")),
            ("-updated", _("Recently changed")),
        ],
        "current_sort": params.get("sort") or "name",
        "can_write": can_write(request.user),
        "entity": kind.entity,
        "title": kind.model._meta.verbose_name_plural,
        "create_label": kind.create_label,
        "create_url": _url(kind, "create"),
        "detail_url": _url(kind, "detail"),
        "export_url": _url(kind, "export"),
        "export_inline_limit": f"{settings.PEYVAND['EXPORT_INLINE_LIMIT']:,}",
        "export_columns": [
            (key, c.label) for key, c in export.available_columns(kind.entity).items()
        ],
        "filter_params": [
            (k, v) for k in params for v in params.getlist(k) if k not in ("cursor",)
        ],
    }
    return render(request, "customers/customer_list.html", context)


@login_required
def person_list(request):
    return _list(request, PERSON)


@login_required
def organization_list(request):
    return _list(request, ORGANIZATION)


def _export(request, kind: Kind):
    """The file now when the list is small; a large one goes to the worker (see Exports)."""
    try:
        result = exports.stream_or_queue(
            request.user,
            kind.entity,
            request.GET,
            request.GET.get("format", "csv"),
            request.GET.getlist("columns"),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(f"{reverse(_url(kind, 'list'))}?{request.GET.urlencode()}")
    if isinstance(result, ExportJob):
        messages.info(request, exports.queued_message())
        return redirect("exports:list")
    return result


@login_required
def person_export(request):
    return _export(request, PERSON)


@login_required
def organization_export(request):
    return _export(request, ORGANIZATION)


@login_required
def city_options(request):
    """``<option>``s of one province's cities, swapped into an address row by HTMX."""
    province = forms.parse_int(request.GET.get("province") or request.GET.get("address_province"))
    cities = City.objects.filter(province_id=province).order_by("name")
    return render(request, "customers/_city_options.html", {"cities": cities})


# ---- create and edit --------------------------------------------------------------------


def _organization_choices(user, data: dict):
    chosen = [forms.parse_int(r["organization"]) for r in data.get("organizations") or []]
    visible = selectors.visible_organizations(user)
    listed = list(visible.order_by("name_key", "id")[:ORGANIZATION_CHOICES_LIMIT])
    listed_ids = {o.pk for o in listed}
    return listed + [o for o in visible.filter(pk__in=chosen) if o.pk not in listed_ids]


def _cities_by_province(data: dict) -> dict[str, list]:
    wanted = {forms.parse_int(r["province"]) for r in data.get("addresses") or []}
    cities: dict[str, list] = {}
    for city in City.objects.filter(province_id__in=wanted).order_by("name"):
        cities.setdefault(str(city.province_id), []).append(city)
    return cities


def _form_context(request, kind: Kind, obj, data: dict, errors: dict) -> dict:
    cities = _cities_by_province(data)
    addresses = forms.rows_with_errors(data, "addresses", errors)
    for row in addresses:
        row["cities"] = cities.get(str(row["province"]), [])
    context = {
        "customer": obj,
        "entity": kind.entity,
        "data": data,
        "errors": errors,
        "phones": forms.rows_with_errors(data, "phones", errors),
        "emails": forms.rows_with_errors(data, "emails", errors),
        "addresses": addresses,
        "social_handles": forms.rows_with_errors(data, "social_handles", errors),
        "custom_fields": forms.custom_rows(data, kind.entity, errors),
        "tags": Tag.objects.all(),
        "owners": _assignable_users(request.user),
        "teams": _assignable_teams(request.user),
        "provinces": Province.objects.order_by("name"),
        "sources": Source.choices,
        "stages": LifecycleStage.choices,
        "phone_kinds": Phone.Kind.choices,
        "email_kinds": Email.Kind.choices,
        "address_kinds": Address.Kind.choices,
        "networks": SocialHandle.Network.choices,
        "other_errors": _unplaced_errors(errors),
    }
    if kind.entity == "person":
        context.update(
            organizations=forms.rows_with_errors(data, "organizations", errors),
            organization_choices=_organization_choices(request.user, data),
            consents=forms.consent_rows(data, errors),
            genders=Gender.choices,
            channels=Channel.choices,
        )
    else:
        context["sizes"] = Organization._meta.get_field("size").choices
    return context


def _unplaced_errors(errors: dict) -> list[str]:
    """Messages with no input of their own (e.g. a list-level ``phones`` error)."""
    placed_prefixes = ("phones.", "emails.", "addresses.", "social_handles.", "organizations.")
    placed_prefixes += ("consents.", "custom.")
    fields = set(forms.PERSON_FIELDS + forms.ORGANIZATION_FIELDS + forms.COMMON_FIELDS)
    return [
        message
        for path, messages_ in errors.items()
        if path not in fields and not path.startswith(placed_prefixes)
        for message in messages_
    ]


def _form(request, kind: Kind, obj=None):
    back = redirect(_url(kind, "detail"), obj.pk) if obj else redirect(_url(kind, "list"))
    if not can_write(request.user):
        messages.error(request, _("Your role may only read records."))
        return back
    known = {c.channel for c in obj.consents.all()} if obj and kind.entity == "person" else set()
    errors: dict = {}
    stale = False
    likely_duplicates: list = []
    version = obj.version if obj else None
    if request.method == "POST":
        data = forms.read_customer(request.POST, kind.entity, known)
        options = {}
        if kind.checks_duplicates:
            options["allow_duplicate"] = request.POST.get("allow_duplicate") == "1"
        try:
            if obj is None:
                obj = kind.create(request.user, data, **options)
                messages.success(request, _("Saved."))
                return redirect(_url(kind, "detail"), obj.pk)
            version = forms.parse_version(request.POST.get("version"))
            kind.update(request.user, obj, data, expected_version=version, **options)
            messages.success(request, _("Saved."))
            return redirect(_url(kind, "detail"), obj.pk)
        except ValidationError as exc:
            errors = _error_messages(exc)
        except StaleVersionError:
            stale = True
        except PossibleDuplicateError as exc:
            likely_duplicates = [
                {**candidate, "reason_labels": duplicates.reason_labels(candidate["reasons"])}
                for candidate in exc.candidates
            ]
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return back
    else:
        data = forms.initial_customer(obj, kind.entity) if obj else {}
    context = _form_context(request, kind, obj, data, errors)
    context.update(stale=stale, stale_message=StaleVersionError.message, version=version)
    context.update(
        likely_duplicates=likely_duplicates, duplicate_message=PossibleDuplicateError.message
    )
    status = 422 if errors else (409 if stale or likely_duplicates else 200)
    return render(request, "customers/customer_form.html", context, status=status)


@login_required
def person_create(request):
    return _form(request, PERSON)


@login_required
def person_edit(request, pk):
    return _form(request, PERSON, selectors.person_detail(request.user, pk))


@login_required
def organization_create(request):
    return _form(request, ORGANIZATION)


@login_required
def organization_edit(request, pk):
    return _form(request, ORGANIZATION, selectors.organization_detail(request.user, pk))


def _delete(request, kind: Kind, pk):
    obj = kind.detail(request.user, pk)
    try:
        services.trash(request.user, obj)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(_url(kind, "detail"), obj.pk)
    messages.success(request, _("Moved to the trash. You can restore it from the trash page."))
    return redirect(_url(kind, "list"))


@login_required
@require_POST
def person_delete(request, pk):
    return _delete(request, PERSON, pk)


@login_required
@require_POST
def organization_delete(request, pk):
    return _delete(request, ORGANIZATION, pk)


# ---- the 360 view -----------------------------------------------------------------------


def _custom_display(entity: str, custom: dict) -> list[dict]:
    """Stored custom values ready to show: dates as dates (for ``|jdate``), lists joined."""
    shown = []
    for definition in definitions(entity):
        value = (custom or {}).get(definition.key)
        if value is None:
            continue
        if definition.field_type == FT.DATE:
            with contextlib.suppress(ValueError):  # a malformed stored value shows as is
                value = dt.date.fromisoformat(str(value))
        elif definition.field_type == FT.BOOLEAN:
            value = _("Yes") if value else _("No")
        elif definition.field_type == FT.MULTICHOICE and isinstance(value, list):
            value = "، ".join(str(v) for v in value)
        shown.append(
            {"definition": definition, "value": value, "is_date": definition.field_type == FT.DATE}
        )
    return shown


def _detail(request, kind: Kind, pk):
    customer = kind.detail(request.user, pk)
    context = {
        "customer": customer,
        "entity": kind.entity,
        "timeline": activity_selectors.timeline(request.user, customer),
        "followups": activity_selectors.open_followups(request.user, customer),
        "can_write": can_write(request.user),
        "custom_values": _custom_display(kind.entity, customer.custom),
        "sales": sales_360.sales_history(request.user, customer, kind.entity),
    }
    if kind.entity == "organization":
        context["members"] = selectors.organization_members(request.user, customer)
    return render(request, "customers/customer_detail.html", context)


@login_required
def person_detail(request, pk):
    return _detail(request, PERSON, pk)


@login_required
def organization_detail(request, pk):
    return _detail(request, ORGANIZATION, pk)


# ---- tags -------------------------------------------------------------------------------


def _tag_action(request) -> None:
    """Run the tag form's action; a ValidationError or PermissionDenied reaches the caller."""
    action = request.POST.get("action")
    name, color = request.POST.get("name"), request.POST.get("color") or None
    if action == "create":
        services.create_tag(request.user, name=name, color=color)
        return
    tag = get_object_or_404(Tag, pk=forms.parse_int(request.POST.get("tag")))
    if action == "rename":
        services.update_tag(request.user, tag, name=name, color=color)
    elif action == "delete":
        services.delete_tag(request.user, tag)
    else:
        raise ValidationError(_("Unknown action."))


@login_required
def tag_list(request):
    errors: dict = {}
    status = 200
    if request.method == "POST":
        try:
            _tag_action(request)
        except ValidationError as exc:
            errors, status = _error_messages(exc), 422
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("customers:tag_list")
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:tag_list")
    context = {
        "tags": Tag.objects.all(),
        "errors": errors,
        "posted": request.POST if errors else {},
        "can_write": can_write(request.user),
        "can_delete": request.user.is_admin or request.user.is_manager,
    }
    return render(request, "customers/tag_list.html", context, status=status)


# ---- custom-field definitions -----------------------------------------------------------


def _require_admin(user) -> None:
    if not user.is_admin:
        raise PermissionDenied(_("Only an administrator may define custom fields."))


def _definition_context(definition, data: dict, errors: dict) -> dict:
    return {
        "definition": definition,
        "data": data,
        "errors": errors,
        "entities": CustomFieldDefinition.Entity.choices,
        "field_types": CustomFieldDefinition.FieldType.choices,
    }


@login_required
def custom_field_list(request):
    _require_admin(request.user)
    errors: dict = {}
    data: dict = {"is_active": True}
    if request.method == "POST":
        data = forms.read_definition(request.POST, creating=True)
        try:
            services.create_custom_field(request.user, data)
        except ValidationError as exc:
            errors = _error_messages(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:custom_field_list")
    context = _definition_context(None, data, errors)
    context["definitions"] = CustomFieldDefinition.objects.all()
    return render(
        request, "customers/custom_field_list.html", context, status=422 if errors else 200
    )


@login_required
def custom_field_edit(request, pk):
    _require_admin(request.user)
    definition = get_object_or_404(CustomFieldDefinition, pk=pk)
    errors: dict = {}
    data = {
        "label": definition.label,
        "choices": definition.choices,
        "required": definition.required,
        "is_active": definition.is_active,
        "position": definition.position,
    }
    if request.method == "POST":
        data = forms.read_definition(request.POST, creating=False)
        try:
            services.update_custom_field(request.user, definition, data)
        except ValidationError as exc:
            errors = _error_messages(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("customers:custom_field_list")
    return render(
        request,
        "customers/custom_field_edit.html",
        _definition_context(definition, data, errors),
        status=422 if errors else 200,
    )
