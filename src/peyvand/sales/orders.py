"""Orders: entered by hand, made from an accepted quote, or pushed by an online shop; their
status, the payments received on them (cash, card, transfer, cheques, instalment plans)
and the goods returned.

Services take plain dicts (a form or an API body), report every bad field at once in one
ValidationError keyed by field path (``lines.2.sku``, ``customer.phone``), check the
caller's rights and the order's version, and audit the change: payments and returns are
part of the order's audit snapshot, so each of them bumps the order's version and shows on
the customer's timeline. Money is whole Rials; forms pass ``unit`` to read Toman.

Selectors read through ``visible()``: an order the user cannot see does not exist for them.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import jdatetime
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Prefetch, Q, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.core import jalali, money, records, validation
from peyvand.core.identifiers import normalize_national_id
from peyvand.core.models import JalaliDay
from peyvand.core.pagination import BoundedCount, count_up_to, keyset_page
from peyvand.core.persian import to_ascii_digits
from peyvand.core.phone import normalize_phone
from peyvand.core.search import filter_search_text
from peyvand.core.validation import (
    FieldErrors,
    as_list,
    choice,
    date,
    quantity,
    rials,
    text,
)
from peyvand.core.visibility import can_see, require_write, visible
from peyvand.customers import services as customer_services
from peyvand.customers.models import Organization, Person, Source
from peyvand.customers.selectors import visible_organizations, visible_people

from . import cadences, catalog, deals, documents
from .models import Order, OrderLine, OrderReturn, Payment, Product, Quote
from .numbering import next_number

# The way forward; an order may skip steps (a counter sale is delivered at once) but
# never goes back, and nothing follows delivered or cancelled.
FLOW = [Order.Status.NEW, Order.Status.CONFIRMED, Order.Status.SHIPPED, Order.Status.DELIVERED]
MAX_INSTALMENTS = 60
MAX_SHOP_PAYMENTS = 20
MAX_NOTES = 5000
# Methods whose money is in hand when recorded; cheques and instalments wait for a due date.
IMMEDIATE_METHODS = (Payment.Method.CASH, Payment.Method.CARD, Payment.Method.TRANSFER)


# ---- reads ------------------------------------------------------------------------------

# Payments as they were recorded (the model's due-date order puts undated ones first on
# SQLite and last on PostgreSQL).
PAYMENTS_IN_ORDER = Prefetch("payments", queryset=Payment.objects.order_by("created_at", "id"))


def visible_orders(user):
    return visible(Order.objects.all(), user)


def order_detail(user, pk) -> Order:
    """The order with its lines, payments and returns, or 404 when ``user`` may not see it."""
    queryset = (
        visible_orders(user)
        .select_related("person", "organization", "deal", "quote", "owner", "team")
        .prefetch_related("lines", PAYMENTS_IN_ORDER, "returns__line", "returns__by")
    )
    return get_object_or_404(queryset, pk=pk)


def trashed_orders(user):
    return visible(Order.trashed.all(), user).order_by("-deleted_at")


def visible_payments(user):
    """Payments of the live orders ``user`` may see."""
    return Payment.objects.filter(order__in=visible_orders(user))


def payment_detail(user, pk) -> Payment:
    return get_object_or_404(visible_payments(user).select_related("order"), pk=pk)


def _month_range(raw) -> tuple[dt.datetime, dt.datetime]:
    """The first and the after-last moment of a Jalali month typed as ``1405/02``."""
    digits = "".join(ch for ch in to_ascii_digits(str(raw)) if ch.isdigit())
    # 1405/02 or 1405/2: the year's four digits, then the month's.
    key = int(digits[:4]) * 100 + int(digits[4:]) if len(digits) in (5, 6) else 0
    days = JalaliDay.objects.filter(month_key=key).aggregate(first=Min("date"), last=Max("date"))
    if days["first"] is None:
        raise ValidationError({"month": [_("Enter a Jalali month such as 1405/02.")]})
    start = timezone.make_aware(dt.datetime.combine(days["first"], dt.time()))
    end = timezone.make_aware(dt.datetime.combine(days["last"] + dt.timedelta(days=1), dt.time()))
    return start, end


def _search(queryset, raw_query: str):
    """Orders whose number contains the query, or whose customer's name, phone, e-mail or
    ID matches it (through the customers' own search keys)."""
    query = to_ascii_digits(raw_query.strip())[:200]
    if not query:
        return queryset
    people = filter_search_text(Person.objects.all(), query).values("pk")
    organizations = filter_search_text(Organization.objects.all(), query).values("pk")
    return queryset.filter(
        Q(number__icontains=query) | Q(person__in=people) | Q(organization__in=organizations)
    )


def _int_filter(value, field) -> int:
    digits = to_ascii_digits(str(value)).strip()
    if not digits.isdigit() or len(digits) > 18:
        raise ValidationError({field: [_("Enter a whole number.")]})
    return int(digits)


def filter_orders(queryset, params):
    """Filters of the list page and the API: status, origin, owner, Jalali month, person,
    organization, and ``q`` (number or customer)."""
    if params.get("status"):
        if params["status"] not in Order.Status.values:
            raise ValidationError({"status": [_("Choose one of the listed options.")]})
        queryset = queryset.filter(status=params["status"])
    if params.get("origin"):
        if params["origin"] not in Order.Origin.values:
            raise ValidationError({"origin": [_("Choose one of the listed options.")]})
        queryset = queryset.filter(origin=params["origin"])
    for field in ("owner", "person", "organization"):
        if params.get(field):
            queryset = queryset.filter(**{f"{field}_id": _int_filter(params[field], field)})
    if params.get("month"):
        start, end = _month_range(params["month"])
        queryset = queryset.filter(ordered_at__gte=start, ordered_at__lt=end)
    if params.get("q"):
        queryset = _search(queryset, params["q"])
    return queryset


def orders_page(user, params, limit: int):
    """One keyset page of the visible orders the filters match, newest first."""
    queryset = filter_orders(visible_orders(user), params).select_related(
        "person", "organization", "owner"
    )
    return keyset_page(queryset, "ordered_at", True, params.get("cursor"), limit)


def orders_count(user, params) -> BoundedCount:
    queryset = filter_orders(visible_orders(user), params)
    return count_up_to(queryset, settings.PEYVAND["EXACT_COUNT_LIMIT"])


def allowed_statuses(order: Order) -> list[str]:
    """The statuses ``order`` may move to next."""
    if order.status not in FLOW or order.status == Order.Status.DELIVERED:
        return []
    return FLOW[FLOW.index(order.status) + 1 :] + [Order.Status.CANCELLED]


def pending_total(order: Order) -> int:
    """Cheques and instalments promised but not yet received."""
    pending = order.payments.filter(status=Payment.Status.PENDING).aggregate(total=Sum("amount"))
    return pending["total"] or 0


def open_amount(order: Order) -> int:
    """What is still to be paid or promised: the most a new payment may be."""
    return order.balance - pending_total(order)


def returnable_quantity(line: OrderLine) -> Decimal:
    returned = line.returns.aggregate(total=Sum("quantity"))["total"] or Decimal(0)
    return line.quantity - returned


# ---- cleaning ---------------------------------------------------------------------------


def _pk(value) -> int | None:
    raw = to_ascii_digits(str(getattr(value, "pk", value))).strip()
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _code(value, *, required: bool = False) -> str:
    """An identifier such as a cheque number or a shop's order id, in ASCII digits."""
    return to_ascii_digits(text(value, max_length=100, required=required))


def _moment(value) -> dt.datetime | None:
    """An aware datetime from a datetime, a date, ISO text or Jalali text."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, dt.date):
        return timezone.make_aware(dt.datetime.combine(value, dt.time()))
    raw = to_ascii_digits(str(value)).strip()
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.year > 1700:
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    try:
        return jalali.parse_datetime(raw)
    except jalali.JalaliInputError as exc:
        raise ValidationError(str(exc)) from None


def _visible_choice(queryset, value, field: str, message: str, errors: FieldErrors):
    if value in (None, ""):
        return None
    found = queryset.filter(pk=_pk(value)).first()
    if found is None:
        errors.add(field, message)
    return found


def _clean_customer_refs(actor, data: dict, order: Order, errors: FieldErrors) -> dict:
    """The customer and deal ``data`` names (each checked against what ``actor`` sees);
    an order keeps at least a person or an organization."""
    refs = {
        "person": (visible_people(actor), _("There is no such person.")),
        "organization": (visible_organizations(actor), _("There is no such organization.")),
        "deal": (deals.visible_deals(actor), _("There is no such deal.")),
    }
    clean = {}
    for field, (queryset, message) in refs.items():
        if field in data or order.pk is None:
            clean[field] = _visible_choice(queryset, data.get(field), field, message, errors)
    has_person = clean.get("person", order.person_id)
    has_organization = clean.get("organization", order.organization_id)
    if not has_person and not has_organization and not errors.errors:
        errors.add("person", _("Choose the customer: a person or an organization."))
    return clean


# Fields of an order that only change while it is new: what was sold and to whom.
CONTENT_FIELDS = frozenset({"person", "organization", "deal", "lines", "discount"})


def _clean_order(actor, data: dict, order: Order, unit: str) -> dict:
    errors = FieldErrors()
    creating = order.pk is None
    clean: dict = {}
    if not creating and order.status != Order.Status.NEW and CONTENT_FIELDS & data.keys():
        raise ValidationError(
            {"lines": [_("Only a new order's customer and lines can be changed.")]}
        )
    if creating or CONTENT_FIELDS & data.keys():
        clean.update(_clean_customer_refs(actor, data, order, errors))
    if creating or "lines" in data:
        raw_lines = data.get("lines") or []
        clean["lines"] = documents.clean_lines(raw_lines, errors, unit=unit)
        if not raw_lines and "lines" not in errors.errors:
            errors.add("lines", _("Add at least one line."))
    if creating or "discount" in data:
        clean["discount"] = errors.check(
            "discount", lambda: rials(data.get("discount"), unit=unit) or 0, 0
        )
    if creating or "ordered_at" in data:
        moment = errors.check("ordered_at", lambda: _moment(data.get("ordered_at")))
        clean["ordered_at"] = moment or order.ordered_at or timezone.now()
    if "notes" in data:
        clean["notes"] = errors.check(
            "notes", lambda: text(data["notes"], max_length=MAX_NOTES), ""
        )
    if creating or "owner" in data or "team" in data:
        clean["owner"], clean["team"] = customer_services.clean_owner(
            actor, data, errors, order.owner if order.pk else None
        )
    if "status" in data:
        clean["status"] = errors.check(
            "status", lambda: _check_transition(order, data["status"]), order.status
        )
    errors.raise_if_any()
    return clean


def _price(order: Order, clean: dict):
    """The priced lines: the new ones, or the stored ones under a new discount."""
    lines = clean["lines"] if "lines" in clean else documents.stored_lines(order)
    return lines, documents.price_lines(lines, clean.get("discount", order.discount))


def _check_transition(order: Order, status) -> str:
    status = choice(status, Order.Status.values, required=True)
    if status != order.status and status not in allowed_statuses(order):
        raise ValidationError(
            _("An order that is “%(current)s” cannot become “%(new)s”.")
            % {"current": order.get_status_display(), "new": Order.Status(status).label}
        )
    return status


# ---- orders by hand ---------------------------------------------------------------------


def _apply(order: Order, clean: dict) -> None:
    for field, value in clean.items():
        if field not in ("lines", "status"):
            setattr(order, field, value)


@transaction.atomic
def create_order(actor, data: dict, *, unit: str = "rial") -> Order:
    """An order entered by hand: a customer, lines, an optional discount and notes."""
    require_write(actor)
    order = Order(origin=Order.Origin.MANUAL, created_by=actor)
    clean = _clean_order(actor, data, order, unit)
    clean.pop("status", None)  # a new order starts as new
    lines, totals = _price(order, clean)
    _apply(order, clean)
    order.number = next_number("order")
    documents.store_totals(order, totals)
    order.save()
    documents.replace_lines(order, lines, totals)
    return records.record_created(actor, order)


@transaction.atomic
def update_order(
    actor, order: Order, data: dict, expected_version: int | None = None, *, unit: str = "rial"
) -> Order:
    """Change notes, owner or status; while the order is new, also its customer and lines."""
    require_write(actor)
    order = records.locked(Order, order.pk)
    records.check_version(order, expected_version)
    clean = _clean_order(actor, data, order, unit)
    before = order.audit_snapshot()
    if any(field in clean for field in ("lines", "discount")):
        lines, totals = _price(order, clean)
        if totals.total < order.paid_total + pending_total(order):
            raise ValidationError({"lines": [_("The new total is less than what has been paid.")]})
        documents.replace_lines(order, lines, totals)
    _apply(order, clean)
    if clean.get("status", order.status) != order.status:
        _enter_status(order, clean["status"])
    records.save_changes(actor, order, before)
    if order.status == Order.Status.DELIVERED and before["status"] != Order.Status.DELIVERED:
        cadences.on_order_delivered(actor, order)
    return order


def _enter_status(order: Order, status: str) -> None:
    order.status = status
    if status == Order.Status.DELIVERED:
        order.delivered_at = timezone.now()


def set_status(actor, order: Order, status, expected_version: int | None = None) -> Order:
    """Move the order on (confirmed, shipped, delivered) or cancel it. Delivery stamps
    ``delivered_at`` and starts the after-sales follow-ups the active cadences name."""
    return update_order(actor, order, {"status": status}, expected_version)


def trash_order(actor, order: Order, expected_version: int | None = None) -> None:
    customer_services.trash(actor, order, expected_version)


def restore_order(actor, order: Order) -> None:
    customer_services.restore(actor, order)


# ---- from a quote -----------------------------------------------------------------------


def create_order_from_quote(actor, quote: Quote) -> Order:
    """The order of an accepted quote: its customer, deal, lines, discount and totals.

    One quote makes one order: a second call (or a concurrent one) returns the first.
    """
    require_write(actor)
    existing = Order.all_objects.filter(quote=quote).first()
    if existing is not None:
        return existing
    if quote.status != Quote.Status.ACCEPTED:
        raise ValidationError({"quote": [_("Only an accepted quote becomes an order.")]})
    try:
        with transaction.atomic():
            return _copy_quote(actor, quote)
    except IntegrityError:
        existing = Order.all_objects.filter(quote=quote).first()
        if existing is None:
            raise
        return existing


def _copy_quote(actor, quote: Quote) -> Order:
    # The quote's own lines and rates, so the order comes to the quote's totals exactly.
    lines = documents.stored_lines(quote)
    totals = documents.price_lines(lines, quote.discount)
    order = Order(
        origin=Order.Origin.QUOTE,
        quote=quote,
        deal=quote.deal,
        person=quote.person,
        organization=quote.organization,
        discount=quote.discount,
        notes=quote.notes,
        owner=quote.owner,
        team=quote.team,
        created_by=actor,
        number=next_number("order"),
    )
    documents.store_totals(order, totals)
    order.save()
    documents.replace_lines(order, lines, totals)
    return records.record_created(actor, order)


# ---- pushed by an online shop -----------------------------------------------------------


def push_shop_order(actor, data: dict) -> tuple[Order, bool]:
    """An order an online shop sends, and whether this call created it.

    Idempotent by the shop's order id: a repeat returns the order the first push made and
    changes nothing, even when two pushes race (the unique ``shop_order_id`` decides, and
    the loser's savepoint takes its customer and number back with it). The customer is
    matched by phone, e-mail or national ID among the people ``actor`` sees, else created.
    The order belongs to ``actor`` and their team.
    """
    require_write(actor)
    errors = FieldErrors()
    shop_order_id = errors.check(
        "shop_order_id",
        lambda: _code(data.get("shop_order_id"), required=True),
        "",
    )
    errors.raise_if_any()
    existing = _shop_order(actor, shop_order_id)
    if existing is not None:
        return existing, False
    clean = _clean_shop_order(actor, data)
    try:
        with transaction.atomic():
            return _create_shop_order(actor, shop_order_id, clean), True
    except IntegrityError:
        existing = _shop_order(actor, shop_order_id)
        if existing is None:
            raise
        return existing, False


def _shop_order(actor, shop_order_id: str) -> Order | None:
    order = Order.all_objects.filter(shop_order_id=shop_order_id).first()
    if order is not None and not can_see(actor, order):
        raise ValidationError(
            {"shop_order_id": [_("This shop order id belongs to an order of another team.")]}
        )
    return order


def _clean_shop_customer(raw, errors: FieldErrors) -> dict:
    if not isinstance(raw, dict):
        errors.add("customer", _("Give the customer's name and a phone or an e-mail."))
        return {}
    at = "customer."
    customer = {
        "first_name": errors.check(
            at + "first_name", lambda: text(raw.get("first_name"), max_length=150), ""
        ),
        "last_name": errors.check(
            at + "last_name",
            lambda: text(raw.get("last_name"), max_length=150, required=True),
            "",
        ),
        "phone": errors.check(
            at + "phone",
            lambda: normalize_phone(str(raw["phone"])) if raw.get("phone") else "",
            "",
        ),
        "email": errors.check(at + "email", lambda: validation.email(raw.get("email")), ""),
        "national_id": errors.check(
            at + "national_id",
            lambda: (
                normalize_national_id(str(raw["national_id"])) if raw.get("national_id") else ""
            ),
            "",
        ),
        "address": errors.check(
            at + "address", lambda: text(raw.get("address"), max_length=300), ""
        ),
    }
    if not raw.get("phone") and not raw.get("email"):
        errors.add(at + "phone", _("Give the customer's phone or e-mail, to know them again."))
    return customer


def _sku(item: dict) -> str:
    return to_ascii_digits(str(item.get("sku") or "")).strip()


def _shop_lines(raw_lines: list, errors: FieldErrors) -> list[dict]:
    """The shop's lines in the form ``documents.clean_lines`` reads: a sku names a product
    by its code; an unknown sku is an error on that line."""
    codes = {_sku(item) for item in raw_lines if isinstance(item, dict)} - {""}
    products = {p.code: p for p in catalog.visible_products().filter(code__in=codes)}
    lines = []
    for index, item in enumerate(raw_lines):
        if not isinstance(item, dict):
            lines.append(item)  # clean_lines reports it
            continue
        line = {
            "description": item.get("description"),
            "quantity": item.get("quantity"),
            "unit_price": item.get("unit_price"),
            "discount_amount": item.get("discount"),
            "tax_rate_percent": item.get("tax_rate_percent"),
        }
        sku = _sku(item)
        if sku and sku not in products:
            errors.add(
                f"lines.{index}.sku",
                _("There is no product with the code “%(sku)s”.") % {"sku": sku[:50]},
            )
            # One error for the line, not also "description" and "price" the sku would give.
            line["description"] = line["description"] or sku
            line["unit_price"] = line["unit_price"] or 0
        elif sku:
            line["product"] = products[sku].pk
        lines.append(line)
    return lines


def _clean_shop_payments(raw, errors: FieldErrors) -> list[dict]:
    payments = []
    for index, item in enumerate(as_list(raw, "payments", errors, limit=MAX_SHOP_PAYMENTS)):
        at = f"payments.{index}."
        if not isinstance(item, dict):
            errors.add(f"payments.{index}", _("Expected a payment object."))
            continue
        payment = {
            "method": errors.check(
                at + "method",
                lambda item=item: choice(item.get("method"), IMMEDIATE_METHODS, required=True),
            ),
            "amount": errors.check(
                at + "amount",
                lambda item=item: rials(item.get("amount"), required=True, allow_zero=False),
            ),
            "reference": errors.check(
                at + "reference",
                lambda item=item: _code(item.get("reference")),
                "",
            ),
        }
        payments.append(payment)
    return payments


def _clean_shop_order(actor, data: dict) -> dict:
    errors = FieldErrors()
    clean = {
        "customer": _clean_shop_customer(data.get("customer"), errors),
        "ordered_at": errors.check("ordered_at", lambda: _moment(data.get("ordered_at"))),
        "notes": errors.check("notes", lambda: text(data.get("notes"), max_length=MAX_NOTES), ""),
        "discount": errors.check("discount", lambda: rials(data.get("discount")) or 0, 0),
        "payments": _clean_shop_payments(data.get("payments"), errors),
    }
    raw_lines = as_list(data.get("lines"), "lines", errors, limit=documents.MAX_LINES)
    lines = documents.clean_lines(_shop_lines(raw_lines, errors), errors)
    if not raw_lines and "lines" not in errors.errors:
        errors.add("lines", _("Add at least one line."))
    shipping = errors.check("shipping", lambda: rials(data.get("shipping")) or 0, 0)
    if shipping:
        # Shipping is charged as it is: the shop's price already carries any tax on it.
        lines += documents.clean_lines(
            [
                {
                    "description": _("Shipping"),
                    "quantity": 1,
                    "unit": Product.Unit.SERVICE,
                    "unit_price": shipping,
                    "tax_rate_percent": 0,
                }
            ],
            errors,
            field="shipping",
        )
    errors.raise_if_any()
    clean["lines"] = lines
    clean["totals"] = documents.price_lines(lines, clean["discount"])
    paid = sum(p["amount"] for p in clean["payments"])
    if paid > clean["totals"].total:
        raise ValidationError(
            {"payments": [_("The payments come to more than the order's total.")]}
        )
    return clean


def _shop_customer(actor, customer: dict) -> Person:
    """The visible person with the customer's national ID, phone or e-mail (in that order
    of trust), else a new person from the website."""
    people = visible_people(actor).order_by("pk")
    for lookup, value in (
        ("national_id", customer["national_id"]),
        ("phones__number", customer["phone"]),
        ("emails__address", customer["email"]),
    ):
        if value:
            found = people.filter(**{lookup: value}).first()
            if found is not None:
                return found
    data = {
        "first_name": customer["first_name"],
        "last_name": customer["last_name"],
        "national_id": customer["national_id"],
        "phones": [customer["phone"]] if customer["phone"] else [],
        "emails": [customer["email"]] if customer["email"] else [],
        "addresses": [{"line": customer["address"], "kind": "shipping"}]
        if customer["address"]
        else [],
        "source": Source.WEBSITE,
        "lifecycle_stage": "customer",
    }
    # The exact match above is the shop's rule; a merely similar name must not stop a sale.
    return customer_services.create_person(actor, data, allow_duplicate=True)


def _create_shop_order(actor, shop_order_id: str, clean: dict) -> Order:
    totals = clean["totals"]
    order = Order(
        origin=Order.Origin.SHOP,
        shop_order_id=shop_order_id,
        person=_shop_customer(actor, clean["customer"]),
        ordered_at=clean["ordered_at"] or timezone.now(),
        discount=clean["discount"],
        notes=clean["notes"],
        owner=actor,
        team=actor.primary_team,
        created_by=actor,
        number=next_number("order"),
    )
    documents.store_totals(order, totals)
    order.paid_total = sum(p["amount"] for p in clean["payments"])
    order.save()
    documents.replace_lines(order, clean["lines"], totals)
    paid_on = timezone.localdate(order.ordered_at)
    Payment.objects.bulk_create(
        Payment(
            order=order, status=Payment.Status.RECEIVED, received_on=paid_on, created_by=actor, **p
        )
        for p in clean["payments"]
    )
    return records.record_created(actor, order)


# ---- payments ---------------------------------------------------------------------------


def _require_open(order: Order) -> None:
    if order.status == Order.Status.CANCELLED:
        raise ValidationError({"method": [_("A cancelled order takes no payments.")]})


def _over_open_amount(order: Order) -> ValidationError:
    remaining = max(open_amount(order), 0)
    return ValidationError(
        {
            "amount": [
                _(
                    "This is more than what is left to pay on the order (%(amount)s). "
                    "Record only what the customer pays towards it."
                )
                % {"amount": money.format_rials(remaining)}
            ]
        }
    )


def _clean_payment(data: dict, unit: str) -> dict:
    errors = FieldErrors()
    method = errors.check(
        "method", lambda: choice(data.get("method"), Payment.Method.values, required=True)
    )
    waits = method in (Payment.Method.CHEQUE, Payment.Method.INSTALMENT)
    clean = {
        "method": method,
        "amount": errors.check(
            "amount",
            lambda: rials(data.get("amount"), required=True, unit=unit, allow_zero=False),
        ),
        "status": errors.check(
            "status",
            lambda: choice(
                data.get("status")
                or (Payment.Status.PENDING if waits else Payment.Status.RECEIVED),
                (Payment.Status.RECEIVED, Payment.Status.PENDING),
            ),
        ),
        "received_on": errors.check("received_on", lambda: date(data.get("received_on"))),
        "due_on": errors.check("due_on", lambda: date(data.get("due_on"), required=waits)),
        "reference": errors.check(
            "reference",
            lambda: _code(data.get("reference"), required=method == Payment.Method.CHEQUE),
            "",
        ),
        "bank": errors.check(
            "bank",
            lambda: text(
                data.get("bank"), max_length=100, required=method == Payment.Method.CHEQUE
            ),
            "",
        ),
    }
    errors.raise_if_any()
    if clean["status"] == Payment.Status.RECEIVED:
        clean["received_on"] = clean["received_on"] or timezone.localdate()
    else:
        clean["received_on"] = None
    return clean


@transaction.atomic
def add_payment(actor, order: Order, data: dict, *, unit: str = "rial") -> Payment:
    """Record a payment: cash, card or transfer (received), a cheque with its bank, number
    and due date, or one instalment (pending until marked received). A payment beyond
    what is left to pay is refused."""
    require_write(actor)
    order = records.locked(Order, order.pk)
    clean = _clean_payment(data, unit)
    _require_open(order)
    if clean["amount"] > open_amount(order):
        raise _over_open_amount(order)
    before = order.audit_snapshot()
    payment = Payment.objects.create(order=order, created_by=actor, **clean)
    if payment.status == Payment.Status.RECEIVED:
        order.paid_total += payment.amount
    records.save_changes(actor, order, before)
    return payment


def _add_jalali_months(day: dt.date, months: int) -> dt.date:
    """The same Jalali day ``months`` later, or the month's last day when it is shorter
    (31 Shahrivar + 1 month = 30 Mehr; 30 Esfand of a leap year + 12 = 29 Esfand)."""
    start = jdatetime.date.fromgregorian(date=day)
    year, month_index = divmod(start.year * 12 + start.month - 1 + months, 12)
    month = month_index + 1
    last_day = jdatetime.j_days_in_month[month_index]
    if month == 12 and jdatetime.date(year, 1, 1).isleap():
        last_day = 30
    return jdatetime.date(year, month, min(start.day, last_day)).togregorian()


def _clean_plan(data: dict) -> tuple[int, dt.date]:
    errors = FieldErrors()
    raw_count = to_ascii_digits(str(data.get("count") or "")).strip()
    count = int(raw_count) if raw_count.isdigit() else None
    if count is None or not 1 <= count <= MAX_INSTALMENTS:
        errors.add(
            "count",
            _("Enter a number of instalments from 1 to %(max)d.") % {"max": MAX_INSTALMENTS},
        )
    first = errors.check("first_due_on", lambda: date(data.get("first_due_on"), required=True))
    errors.raise_if_any()
    return count, first


@transaction.atomic
def add_instalment_plan(actor, order: Order, data: dict) -> list[Payment]:
    """Split what is left to pay into ``count`` monthly instalments, the first due on
    ``first_due_on`` (Jalali or ISO) and each next one a Jalali month later. The parts
    differ by at most one Rial and add up to the amount exactly."""
    require_write(actor)
    order = records.locked(Order, order.pk)
    count, first = _clean_plan(data)
    _require_open(order)
    remaining = open_amount(order)
    if remaining <= 0:
        raise ValidationError({"count": [_("Nothing is left to pay on this order.")]})
    if count > remaining:
        raise ValidationError({"count": [_("Too many instalments for this amount.")]})
    before = order.audit_snapshot()
    base, extra = divmod(remaining, count)
    payments = Payment.objects.bulk_create(
        Payment(
            order=order,
            method=Payment.Method.INSTALMENT,
            status=Payment.Status.PENDING,
            amount=base + (1 if index < extra else 0),
            due_on=_add_jalali_months(first, index),
            created_by=actor,
        )
        for index in range(count)
    )
    records.save_changes(actor, order, before)
    return payments


@transaction.atomic
def set_payment_status(actor, payment: Payment, data: dict) -> Payment:
    """Mark a pending cheque or instalment received (on a date, today by default) or
    bounced. A bounced one no longer counts towards the order."""
    require_write(actor)
    order = records.locked(Order, payment.order_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    errors = FieldErrors()
    status = errors.check(
        "status",
        lambda: choice(
            data.get("status"),
            (Payment.Status.RECEIVED, Payment.Status.BOUNCED),
            required=True,
        ),
    )
    received_on = errors.check("received_on", lambda: date(data.get("received_on")))
    errors.raise_if_any()
    if payment.status != Payment.Status.PENDING:
        raise ValidationError(
            {
                "status": [
                    _("Only a pending cheque or instalment can be marked received or bounced.")
                ]
            }
        )
    before = order.audit_snapshot()
    payment.status = status
    if status == Payment.Status.RECEIVED:
        payment.received_on = received_on or timezone.localdate()
        order.paid_total += payment.amount
    payment.save(update_fields=["status", "received_on"])
    records.save_changes(actor, order, before)
    return payment


# ---- returns ----------------------------------------------------------------------------


def _proportion(amount: int, part: Decimal, whole: Decimal) -> int:
    """``amount × part / whole`` rounded half up to a Rial."""
    return int((Decimal(amount) * part / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def default_refund(line: OrderLine, qty: Decimal) -> int:
    """The line's net plus tax for ``qty`` of it. Counted from what was returned before,
    so returning a line in parts refunds exactly its total, never a Rial more or less."""
    returned = line.quantity - returnable_quantity(line)
    return _proportion(line.total, returned + qty, line.quantity) - _proportion(
        line.total, returned, line.quantity
    )


@transaction.atomic
def add_return(actor, order: Order, data: dict, *, unit: str = "rial") -> OrderReturn:
    """Goods sent back on a line of a delivered order: at most what was delivered less
    what came back before, with a reason; the refund defaults to their share of the
    line's net and tax."""
    require_write(actor)
    order = records.locked(Order, order.pk)
    errors = FieldErrors()
    line = order.lines.filter(pk=_pk(data.get("line"))).first()
    if line is None:
        errors.add("line", _("Choose a line of this order."))
    qty = errors.check("quantity", lambda: quantity(data.get("quantity")))
    reason = errors.check(
        "reason", lambda: text(data.get("reason"), max_length=300, required=True), ""
    )
    refund = errors.check("refund", lambda: rials(data.get("refund"), unit=unit))
    if order.status != Order.Status.DELIVERED:
        errors.add("line", _("Goods can be returned only from a delivered order."))
    errors.raise_if_any()
    left = returnable_quantity(line)
    if qty > left:
        raise ValidationError(
            {
                "quantity": [
                    _("At most %(quantity)s of this line can still be returned.")
                    % {"quantity": f"{left.normalize():f}"}
                ]
            }
        )
    refunded_before = line.returns.aggregate(total=Sum("refund"))["total"] or 0
    if refund is None:
        refund = default_refund(line, qty)
    elif refund > line.total - refunded_before:
        raise ValidationError(
            {
                "refund": [
                    _("The refund is more than is left of the line's amount (%(amount)s).")
                    % {"amount": money.format_rials(line.total - refunded_before)}
                ]
            }
        )
    before = order.audit_snapshot()
    returned = OrderReturn.objects.create(
        order=order, line=line, quantity=qty, refund=refund, reason=reason, by=actor
    )
    order.refunded_total += refund
    records.save_changes(actor, order, before)
    return returned
