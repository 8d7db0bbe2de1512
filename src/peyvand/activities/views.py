"""Activity pages: log an activity on a customer, edit, complete, trash; follow-ups; notifications.

Create and "done" answer an HTMX request with the customer's timeline partial and a plain
POST with a redirect back to the customer's 360 page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from peyvand.core.errors import StaleVersionError
from peyvand.core.persian import to_ascii_digits
from peyvand.core.visibility import can_write
from peyvand.customers.selectors import get_organization, get_person

from . import selectors, services
from .forms import field_errors, initial_values, service_data
from .models import Activity

# Lets other parts of the 360 page (e.g. its open follow-ups box) refresh after a change.
CHANGED_EVENT = "activities-changed"


def _int_or_404(value) -> int:
    try:
        return int(to_ascii_digits(str(value)).strip())
    except ValueError:
        raise Http404 from None


def _posted_customer(request):
    """The person or organisation the form is about; 404 when missing or invisible."""
    if request.POST.get("person"):
        return get_person(request.user, _int_or_404(request.POST["person"]))
    if request.POST.get("organization"):
        return get_organization(request.user, _int_or_404(request.POST["organization"]))
    raise Http404


def _posted_version(request) -> int | None:
    """The version the form was opened at; garbage counts as stale (versions start at 1)."""
    raw = request.POST.get("version", "")
    if not raw:
        return None
    try:
        return int(to_ascii_digits(raw).strip())
    except ValueError:
        return 0


def _back(request, default: str) -> str:
    """Where the form came from (``next``, posted or in the query string), if ours."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _customer_of(activity: Activity):
    """Whom the activity is about: its customer, or its deal when the deal has none."""
    return activity.person or activity.organization or activity.deal


def _customer_url(customer) -> str:
    name = {
        "person": "customers:person_detail",
        "organization": "customers:organization_detail",
        "deal": "sales:deal_detail",
    }[customer._meta.model_name]
    return reverse(name, args=[customer.pk])


def _partial_context(request, customer, **extra) -> dict:
    return {
        "customer": customer,
        "can_write": can_write(request.user),
        "timeline": selectors.timeline(request.user, customer),
        **extra,
    }


def _timeline_response(request, customer, *, fresh_form: bool = False) -> HttpResponse:
    context = _partial_context(request, customer, oob=True)
    html = render_to_string("activities/_timeline.html", context, request)
    if fresh_form:
        # Out-of-band: the emptied form replaces the one just submitted.
        html += render_to_string("activities/_new_activity.html", context, request)
    return trigger_client_event(HttpResponse(html), CHANGED_EVENT)


def _form_errors_response(request, customer, values, errors) -> HttpResponse:
    """The form again with the user's values and each error under its input. Without HTMX
    it is a page of its own, since the 360 page belongs to the customers app."""
    context = _partial_context(
        request, customer, values=values, errors=errors, customer_url=_customer_url(customer)
    )
    if not request.htmx:
        return render(request, "activities/activity_new.html", context)
    response = render(request, "activities/_new_activity.html", context)
    return reswap(retarget(response, "#new-activity"), "outerHTML")


@require_POST
@login_required
def activity_create(request):
    customer = _posted_customer(request)
    kind = request.POST.get("kind", "")
    data = service_data(request.POST, kind)
    data["kind"] = kind
    data[customer._meta.model_name] = customer.pk
    try:
        services.create_activity(request.user, data)
    except PermissionDenied as exc:
        return _form_errors_response(request, customer, request.POST, {"form": [str(exc)]})
    except ValidationError as exc:
        return _form_errors_response(request, customer, request.POST, field_errors(exc))
    if request.htmx:
        return _timeline_response(request, customer, fresh_form=True)
    messages.success(request, _("The activity has been saved."))
    return redirect(_customer_url(customer))


@login_required
def activity_edit(request, pk):
    activity = selectors.get_activity(request.user, pk)
    customer = _customer_of(activity)
    values, errors = initial_values(activity), {}
    if request.method == "POST":
        data = service_data(request.POST, activity.kind)
        if activity.kind == Activity.Kind.TASK:
            data["done"] = bool(request.POST.get("done"))
        values = {**values, **request.POST.dict(), "done": data.get("done")}
        try:
            services.update_activity(request.user, activity, data, _posted_version(request))
        except (StaleVersionError, PermissionDenied) as exc:
            errors = {"form": [str(exc)]}
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, _("The activity has been saved."))
            return redirect(_back(request, _customer_url(customer)))
    context = {
        "activity": activity,
        "customer": customer,
        "customer_url": _customer_url(customer),
        "can_write": can_write(request.user),
        "values": values,
        "errors": errors,
    }
    return render(request, "activities/activity_edit.html", context)


@require_POST
@login_required
def activity_done(request, pk):
    activity = selectors.get_activity(request.user, pk)
    if activity.kind != Activity.Kind.TASK:
        raise Http404  # only follow-ups have a "done"
    customer = _customer_of(activity)
    try:
        services.complete_task(request.user, activity, _posted_version(request))
    except (StaleVersionError, PermissionDenied) as exc:
        messages.error(request, str(exc))
        if request.htmx:
            # The message needs a full page; reloading also shows the newer version.
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
    else:
        if request.htmx:
            return _timeline_response(request, customer)
        messages.success(request, _("The follow-up is done."))
    return redirect(_back(request, _customer_url(customer)))


@require_POST
@login_required
def activity_delete(request, pk):
    activity = selectors.get_activity(request.user, pk)
    customer = _customer_of(activity)
    try:
        services.trash_activity(request.user, activity)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("activities:activity_edit", pk=activity.pk)
    messages.success(request, _("The activity has been moved to the trash."))
    return redirect(_customer_url(customer))


@login_required
def followups(request):
    user = request.user
    context = {"mine": selectors.my_open_followups(user, limit=200), "team": None}
    if user.is_manager or user.is_admin:
        context["team"] = selectors.team_open_followups(user)
    return render(request, "activities/followups.html", context)


@login_required
def notifications(request):
    context = {"notifications": selectors.notifications(request.user, limit=100)}
    return render(request, "activities/notifications.html", context)


@require_POST
@login_required
def notifications_read(request):
    services.mark_read(request.user)
    return redirect("activities:notifications")
