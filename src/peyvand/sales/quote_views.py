"""Pages of quotes: list, editor with live totals, detail, PDF, send, accept, reject.

Thin: read the form (``quote_forms``), call ``sales.quotes``, render. Amounts are typed
and shown in the interface's unit (Toman or Rial); the service stores Rials.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.core import money, outbox
from peyvand.core.errors import StaleVersionError
from peyvand.core.jalali import format_date
from peyvand.core.persian import search_key
from peyvand.core.search import filter_search_text
from peyvand.core.visibility import can_write
from peyvand.customers import selectors as customer_selectors
from peyvand.customers.forms import parse_version

from . import catalog, documents, quote_forms, quotes
from .models import Product, Quote

CUSTOMER_OPTIONS_LIMIT = 20
# The product picker lists this many active products (a larger catalogue needs a search).
PRODUCT_PICKER_LIMIT = 1000


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


@login_required
def quote_list(request):
    errors = {}
    try:
        items, next_cursor = quotes.quotes_page(
            request.user, request.GET, settings.PEYVAND["PAGE_SIZE"]
        )
    except ValidationError as exc:
        items, next_cursor, errors = [], None, _errors(exc)
    context = {
        "items": items,
        "next_cursor": next_cursor,
        "params": request.GET,
        "filter_errors": errors,
        "statuses": Quote.Status.choices,
        "can_write": can_write(request.user),
    }
    return render(request, "sales/quotes/quote_list.html", context)


# ---- the editor -------------------------------------------------------------------------


def _picker_products():
    return [
        {
            "product": product,
            "price": quote_forms.input_amount(product.price),
            "tax": quote_forms.percent(documents.product_tax_rate_bp(product, 0)) or "0",
        }
        for product in catalog.active_products()[:PRODUCT_PICKER_LIMIT]
    ]


def _initial_data(user, quote: Quote | None, params) -> dict:
    """The form's values: the quote's, or a new one's from ``?deal=``/``?person=``."""
    if quote is not None:
        start = {
            "deal": quote.deal,
            "person": quote.person,
            "organization": quote.organization,
            "valid_until": quote.valid_until,
            "lines": documents.stored_lines(quote),
            "discount": quote.discount,
            "notes": quote.notes,
        }
    else:
        start = quotes.new_quote_initial(user, params)
    return {
        **{
            field: str(start[field].pk) if start.get(field) else ""
            for field in ("deal", "person", "organization")
        },
        "valid_until": format_date(start["valid_until"]),
        "discount": quote_forms.input_amount(start.get("discount"))
        if start.get("discount")
        else "",
        "notes": start.get("notes", ""),
        "lines": [quote_forms.stored_line_values(line) for line in start.get("lines", [])],
    }


def _editor(request, quote: Quote | None):
    back = redirect("sales:quote_detail", quote.pk) if quote else redirect("sales:quote_list")
    if not can_write(request.user):
        messages.error(request, _("Your role may only read records."))
        return back
    if quote is not None and quote.status != Quote.Status.DRAFT:
        messages.error(
            request,
            _("Only a draft quote can be edited. This one is %(status)s.")
            % {"status": quote.get_status_display()},
        )
        return back
    unit = money.display_unit()
    errors: dict = {}
    stale = False
    version = quote.version if quote else None
    if request.method == "POST":
        data = quote_forms.read_quote(request.POST)
        try:
            if quote is None:
                quote = quotes.create_quote(request.user, data, unit=unit)
            else:
                version = parse_version(request.POST.get("version"))
                quotes.update_quote(request.user, quote, data, version, unit=unit)
        except ValidationError as exc:
            errors = _errors(exc)
        except StaleVersionError:
            stale = True
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return back
        else:
            messages.success(request, _("Saved."))
            return redirect("sales:quote_detail", quote.pk)
    else:
        data = _initial_data(request.user, quote, request.GET)
    totals, total_errors = quotes.preview_totals(data, unit=unit)
    context = {
        "quote": quote if quote and quote.pk else None,
        "data": data,
        "chosen": quotes.chosen_refs(request.user, data),
        "rows": quote_forms.line_rows(data["lines"], errors),
        "errors": errors,
        "stale": stale,
        "stale_message": StaleVersionError.message,
        "version": version,
        "products": _picker_products(),
        "units": Product.Unit.choices,
        "money_unit": unit,
        "totals": totals,
        "total_errors": total_errors,
    }
    status = 422 if errors else (409 if stale else 200)
    return render(request, "sales/quotes/quote_form.html", context, status=status)


@login_required
def quote_create(request):
    """A new quote; ``?deal=<id>`` pre-fills the deal's customer and products."""
    return _editor(request, None)


@login_required
def quote_edit(request, pk):
    return _editor(request, quotes.quote_detail(request.user, pk))


@login_required
@require_POST
def quote_totals(request):
    """The editor's totals box, re-rendered by HTMX as the user types."""
    totals, errors = quotes.preview_totals(
        quote_forms.read_quote(request.POST), unit=money.display_unit()
    )
    return render(request, "sales/quotes/_totals.html", {"totals": totals, "total_errors": errors})


@login_required
def customer_options(request):
    """``<option>``s of the visible people or organisations matching the editor's customer
    search (``person_q`` or ``organization_q``)."""
    kind = "organization" if request.GET.get("kind") == "organization" else "person"
    queryset = (
        customer_selectors.visible_organizations(request.user)
        if kind == "organization"
        else customer_selectors.visible_people(request.user)
    )
    query = request.GET.get(f"{kind}_q", "")[:100]
    found = filter_search_text(queryset, query) if search_key(query) else queryset.none()
    options = [("", "—")] + [
        (str(c.pk), str(c)) for c in found.order_by("name_key", "id")[:CUSTOMER_OPTIONS_LIMIT]
    ]
    selected = options[1][0] if len(options) > 1 else ""
    return render(request, "activities/_options.html", {"options": options, "selected": selected})


# ---- the quote and its actions ----------------------------------------------------------


@login_required
def quote_detail(request, pk):
    quote = quotes.quote_detail(request.user, pk)
    context = {
        "quote": quote,
        # A line's discount: its own and its share of the quote's.
        "lines": [(line, line.gross - line.net) for line in quote.lines.all()],
        "can_write": can_write(request.user),
        "is_open": quote.status in quotes.OPEN,
        "send_to": quotes.customer_email(quote),
        "send_message": quotes.default_message(quote),
        "emails": outbox.messages_for(quote),
        "order": getattr(quote, "order", None),
    }
    return render(request, "sales/quotes/quote_detail.html", context)


@login_required
def quote_pdf(request, pk):
    quote = quotes.quote_detail(request.user, pk)
    response = HttpResponse(quotes.quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote.number}.pdf"'
    return response


def _action(request, pk, operation, done_message):
    """Run one status change on the quote; errors come back as a message on its page."""
    quote = quotes.quote_detail(request.user, pk)
    version = parse_version(request.POST.get("version"))
    try:
        operation(quote, version)
    except StaleVersionError as exc:
        messages.error(request, str(exc.message))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done_message)
    return redirect("sales:quote_detail", pk)


@login_required
@require_POST
def quote_send(request, pk):
    data = {"to": request.POST.get("to", ""), "message": request.POST.get("message", "")}
    return _action(
        request,
        pk,
        lambda quote, version: quotes.send_quote(request.user, quote, data, version),
        _("The quote is on its way by e-mail."),
    )


@login_required
@require_POST
def quote_accept(request, pk):
    return _action(
        request,
        pk,
        lambda quote, version: quotes.accept_quote(request.user, quote, version),
        _("The quote was accepted and an order was made from it."),
    )


@login_required
@require_POST
def quote_reject(request, pk):
    return _action(
        request,
        pk,
        lambda quote, version: quotes.reject_quote(request.user, quote, version),
        _("The quote was marked rejected."),
    )


@login_required
@require_POST
def quote_delete(request, pk):
    quote = quotes.quote_detail(request.user, pk)
    try:
        quotes.trash_quote(request.user, quote)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("sales:quote_detail", pk)
    messages.success(request, _("Moved to the trash. You can restore it from the trash page."))
    return redirect("sales:quote_list")
