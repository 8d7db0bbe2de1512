"""Pages that belong to no single domain: home, global search, trash."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from peyvand.activities import services as activity_services
from peyvand.activities.models import Activity
from peyvand.activities.selectors import my_open_followups
from peyvand.customers import selectors as customer_selectors
from peyvand.customers import services as customer_services
from peyvand.customers.models import Organization, Person
from peyvand.sales import deals, leads, orders, quotes
from peyvand.sales.models import Deal, Lead, Order, Quote


@login_required
def home(request):
    return render(request, "core/home.html", {"followups": my_open_followups(request.user)})


def healthz(request):
    return JsonResponse({"status": "ok"})


@login_required
def search(request):
    """The navbar search: people and organisations, listed even when only one matches."""
    query = request.GET.get("q", "")
    results = customer_selectors.global_search(request.user, query) if query.strip() else None
    return render(request, "core/search.html", {"query": query, "results": results})


# Trash kinds in the URL → the section title, the model, its restore operation and its purge
# operation. customers.services.purge is generic over business records (manager/admin
# check, audit), so every kind is purged through it rather than by copies of that rule.
TRASH_KINDS = {
    "person": (gettext_lazy("People"), Person, customer_services.restore),
    "organization": (gettext_lazy("Organizations"), Organization, customer_services.restore),
    "activity": (gettext_lazy("Activities"), Activity, activity_services.restore_activity),
    "lead": (gettext_lazy("Leads"), Lead, leads.restore_lead),
    "deal": (gettext_lazy("Deals"), Deal, deals.restore_deal),
    "quote": (gettext_lazy("Quotes"), Quote, quotes.restore_quote),
    "order": (gettext_lazy("Orders"), Order, orders.restore_order),
}
TRASH_PAGE_SIZE = 100


@login_required
def trash(request):
    sections = [
        (title, kind, customer_selectors.trashed(request.user, model))
        for kind, (title, model, _restore) in TRASH_KINDS.items()
    ]
    context = {
        "sections": [
            {
                "title": title,
                "kind": kind,
                "items": list(items.select_related("deleted_by")[:TRASH_PAGE_SIZE]),
            }
            for title, kind, items in sections
        ],
        "can_purge": request.user.is_admin or request.user.is_manager,
        "can_restore": not request.user.is_viewer,
    }
    return render(request, "core/trash.html", context)


def _trashed(request, kind, pk):
    if kind not in TRASH_KINDS:
        raise Http404
    _title, model, restore = TRASH_KINDS[kind]
    obj = get_object_or_404(customer_selectors.trashed(request.user, model), pk=pk)
    return obj, restore, customer_services.purge


def _run(request, operation, obj, done_message):
    try:
        operation(request.user, obj)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done_message)
    return redirect("core:trash")


@login_required
@require_POST
def trash_restore(request, kind, pk):
    obj, restore, _purge = _trashed(request, kind, pk)
    return _run(request, restore, obj, _("Restored."))


@login_required
@require_POST
def trash_purge(request, kind, pk):
    obj, _restore, purge = _trashed(request, kind, pk)
    return _run(request, purge, obj, _("Deleted for good."))
