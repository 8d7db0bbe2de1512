"""Pages of orders: the list, the form (by hand, with lines), and the order page with its
status buttons, payments and returns.

Thin by design: read the request into the dict ``sales.orders`` takes, call it, render.
Amounts are typed and shown in the display unit (Toman or Rial), dates in Jalali.
"""

from decimal import Decimal
from itertools import zip_longest

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.accounts.models import User
from peyvand.core import jalali, money
from peyvand.core.errors import StaleVersionError
from peyvand.core.visibility import can_write
from peyvand.customers.selectors import visible_organizations, visible_people

from . import catalog, deals, orders
from .models import Order, Payment, Product

# How many people, organisations and deals the form's selects list (besides the chosen).
CHOICES_LIMIT = 500
LINE_INPUTS = (
    "product",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "discount_percent",
    "discount_amount",
    "tax_rate_percent",
)
# A row with none of these filled is an "add line" clicked and left empty.
LINE_CONTENT = ("product", "description", "unit_price")


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _unit() -> str:
    return money.display_unit()


def _unit_label() -> str:
    return _("Toman") if _unit() == "toman" else _("Rial")


def _as_unit(amount: int) -> str:
    """A stored amount as the form shows it in the display unit."""
    if _unit() != "toman":
        return str(amount)
    return f"{(Decimal(amount) / 10).normalize():f}"


def _percent(basis_points: int) -> str:
    return f"{(Decimal(basis_points) / 100).normalize():f}" if basis_points else ""


# ---- the list ---------------------------------------------------------------------------


def _owners(user):
    users = User.objects.filter(is_active=True)
    return users if user.is_admin else users.filter(teams__in=user.team_ids).distinct()


@login_required
def order_list(request):
    params = request.GET
    errors: dict = {}
    total = None
    try:
        items, next_cursor = orders.orders_page(request.user, params, settings.PEYVAND["PAGE_SIZE"])
        total = orders.orders_count(request.user, params)
    except ValidationError as exc:
        items, next_cursor, errors = [], None, _errors(exc)
    context = {
        "items": items,
        "next_cursor": next_cursor,
        "total": total,
        "filter_errors": errors,
        "params": params,
        "statuses": Order.Status.choices,
        "origins": Order.Origin.choices,
        "owners": _owners(request.user),
        "can_write": can_write(request.user),
    }
    return render(request, "sales/orders/order_list.html", context)


# ---- the form ---------------------------------------------------------------------------


def _read_lines(post) -> list[dict]:
    columns = [post.getlist(f"line_{name}") for name in LINE_INPUTS]
    rows = []
    for values in zip_longest(*columns, fillvalue=""):
        row = dict(zip(LINE_INPUTS, values, strict=True))
        if any(str(row[name]).strip() for name in LINE_CONTENT):
            rows.append(row)
    return rows


def _read_order(post) -> dict:
    data = {
        name: post.get(name, "")
        for name in ("person", "organization", "deal", "discount", "ordered_at", "notes", "owner")
    }
    data["lines"] = _read_lines(post)
    return data


def _initial(order: Order) -> dict:
    return {
        "person": str(order.person_id or ""),
        "organization": str(order.organization_id or ""),
        "deal": str(order.deal_id or ""),
        "discount": _as_unit(order.discount) if order.discount else "",
        "ordered_at": jalali.format_datetime(order.ordered_at),
        "notes": order.notes,
        "owner": str(order.owner_id),
        "lines": [
            {
                "product": str(line.product_id or ""),
                "description": line.description,
                "quantity": f"{line.quantity.normalize():f}",
                "unit": line.unit,
                "unit_price": _as_unit(line.unit_price),
                "discount_percent": _percent(line.discount_bp),
                "discount_amount": _as_unit(line.discount_amount) if line.discount_amount else "",
                "tax_rate_percent": _percent(line.tax_rate_bp) or "0",
            }
            for line in order.lines.all()
        ],
    }


def _choices(queryset, order_by: str, chosen) -> list:
    listed = list(queryset.order_by(order_by, "id")[:CHOICES_LIMIT])
    chosen_ids = {int(pk) for pk in chosen if str(pk).isdigit()} - {o.pk for o in listed}
    return listed + list(queryset.filter(pk__in=chosen_ids))


def _line_rows(data: dict, errors: dict) -> list[dict]:
    return [
        {
            **row,
            "errors": {name: errors.get(f"lines.{i}.{name}", []) for name in LINE_INPUTS},
            "row_errors": errors.get(f"lines.{i}", []),
        }
        for i, row in enumerate(data.get("lines") or [])
    ]


def _form_context(request, order, data: dict, errors: dict) -> dict:
    user = request.user
    placed = {"person", "organization", "deal", "discount", "ordered_at", "notes", "owner"}
    return {
        "order": order,
        "data": data,
        "errors": errors,
        "lines": _line_rows(data, errors),
        "lines_errors": errors.get("lines", []),
        "other_errors": [
            message
            for path, found in errors.items()
            if path not in placed and not path.startswith("lines")
            for message in found
        ],
        "people": _choices(visible_people(user), "name_key", [data.get("person")]),
        "organizations": _choices(
            visible_organizations(user), "name_key", [data.get("organization")]
        ),
        "deals": _choices(deals.visible_deals(user), "-created_at", [data.get("deal")]),
        "products": catalog.active_products(),
        "units": Product.Unit.choices,
        "owners": _owners(user),
        "unit_label": _unit_label(),
    }


def _version(request) -> int:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else 0


def _form(request, order: Order | None = None):
    back = redirect("sales:order_detail", order.pk) if order else redirect("sales:order_list")
    if not can_write(request.user):
        messages.error(request, _("Your role may only read records."))
        return back
    if order is not None and order.status != Order.Status.NEW:
        messages.error(request, _("Only a new order's customer and lines can be changed."))
        return back
    errors: dict = {}
    stale = False
    if request.method == "POST":
        data = _read_order(request.POST)
        try:
            if order is None:
                order = orders.create_order(request.user, data, unit=_unit())
            else:
                orders.update_order(request.user, order, data, _version(request), unit=_unit())
            messages.success(request, _("Saved."))
            return redirect("sales:order_detail", order.pk)
        except ValidationError as exc:
            errors = _errors(exc)
        except StaleVersionError:
            stale = True
    elif order is not None:
        data = _initial(order)
    else:
        data = {
            "person": request.GET.get("person", ""),
            "organization": request.GET.get("organization", ""),
            "deal": request.GET.get("deal", ""),
            "owner": str(request.user.pk),
            "lines": [{"quantity": "1"}],
        }
    context = _form_context(request, order, data, errors)
    context.update(stale=stale, stale_message=StaleVersionError.message)
    status = 422 if errors else (409 if stale else 200)
    return render(request, "sales/orders/order_form.html", context, status=status)


@login_required
def order_create(request):
    return _form(request)


@login_required
def order_edit(request, pk):
    return _form(request, orders.order_detail(request.user, pk))


# ---- the order page ---------------------------------------------------------------------


def _line_table(order: Order) -> list[dict]:
    returned: dict[int, Decimal] = {}
    for item in order.returns.all():
        returned[item.line_id] = returned.get(item.line_id, Decimal(0)) + item.quantity
    return [
        {
            "line": line,
            "returned": returned.get(line.pk),
            "left": line.quantity - returned.get(line.pk, 0),
            "discount": line.gross - line.net,
        }
        for line in order.lines.all()
    ]


def _detail(request, order: Order, *, form: str = "", errors=None, posted=None, status=200):
    """The order page; ``form`` names the sub-form (payment, instalments, return) whose
    ``errors`` and ``posted`` values are shown again."""
    line_table = _line_table(order)
    context = {
        "order": order,
        "lines": line_table,
        "returnable": [row for row in line_table if row["left"] > 0],
        "next_statuses": [
            (value, Order.Status(value).label) for value in orders.allowed_statuses(order)
        ],
        "pending_total": orders.pending_total(order),
        "open_amount": orders.open_amount(order),
        "owed": max(-order.balance, 0),
        "can_write": can_write(request.user),
        "methods": Payment.Method.choices,
        "unit_label": _unit_label(),
        "form": form,
        "errors": errors or {},
        "posted": posted or {},
        "stale_message": StaleVersionError.message,
    }
    return render(request, "sales/orders/order_detail.html", context, status=status)


@login_required
def order_detail(request, pk):
    return _detail(request, orders.order_detail(request.user, pk))


def _run(request, pk, form: str, operation, done_message):
    """Run a write from the order page: on success back to the page with a message; on
    bad input the page again with the form's errors; on a refusal, the refusal."""
    order = orders.order_detail(request.user, pk)
    try:
        operation(order)
    except ValidationError as exc:
        return _detail(
            request, order, form=form, errors=_errors(exc), posted=request.POST, status=422
        )
    except StaleVersionError:
        return _detail(request, order, form="stale", status=409)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("sales:order_detail", pk)
    messages.success(request, done_message)
    return redirect("sales:order_detail", pk)


@login_required
@require_POST
def order_status(request, pk):
    return _run(
        request,
        pk,
        "status",
        lambda order: orders.set_status(
            request.user, order, request.POST.get("status"), _version(request)
        ),
        _("The order's status was changed."),
    )


def _payment_data(post) -> dict:
    names = ("method", "amount", "status", "received_on", "due_on", "reference", "bank")
    return {name: post.get(name, "") for name in names}


@login_required
@require_POST
def payment_add(request, pk):
    return _run(
        request,
        pk,
        "payment",
        lambda order: orders.add_payment(
            request.user, order, _payment_data(request.POST), unit=_unit()
        ),
        _("The payment was recorded."),
    )


@login_required
@require_POST
def instalments_add(request, pk):
    data = {
        "count": request.POST.get("count", ""),
        "first_due_on": request.POST.get("first_due_on"),
    }
    return _run(
        request,
        pk,
        "instalments",
        lambda order: orders.add_instalment_plan(request.user, order, data),
        _("The instalments were added."),
    )


@login_required
@require_POST
def payment_status(request, pk):
    payment = orders.payment_detail(request.user, pk)
    data = {
        "status": request.POST.get("status", ""),
        "received_on": request.POST.get("received_on"),
    }
    return _run(
        request,
        payment.order_id,
        "payment_status",
        lambda order: orders.set_payment_status(request.user, payment, data),
        _("The payment was updated."),
    )


@login_required
@require_POST
def return_add(request, pk):
    data = {name: request.POST.get(name, "") for name in ("line", "quantity", "refund", "reason")}
    return _run(
        request,
        pk,
        "return",
        lambda order: orders.add_return(request.user, order, data, unit=_unit()),
        _("The return was recorded."),
    )


@login_required
@require_POST
def order_delete(request, pk):
    order = orders.order_detail(request.user, pk)
    try:
        orders.trash_order(request.user, order)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("sales:order_detail", pk)
    messages.success(request, _("Moved to the trash. You can restore it from the trash page."))
    return redirect("sales:order_list")
