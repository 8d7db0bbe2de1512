"""Quotes (پیش‌فاکتور): reads through the visibility rule, and every write on them.

A quote is built from a deal (its customer and products pre-filled) or for a person or
an organisation, priced line by line by ``sales.pricing`` through ``sales.documents``,
and moves draft → sent → accepted / rejected / expired. Only a draft may be edited.
Sending writes an e-mail with the PDF to the outbox in the same transaction; accepting
makes the order (``sales.orders``) and wins the deal (``sales.deals``) if it is open.
A quote past its validity date is expired by the nightly task, and whenever it is read
or acted on, so it never shows as open after its day.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.core import outbox, records, validation
from peyvand.core.jalali import format_date
from peyvand.core.pagination import keyset_page
from peyvand.core.persian import sort_key, to_ascii_digits, to_persian_digits
from peyvand.core.validation import FieldErrors, rials, text
from peyvand.core.validation import date as clean_date
from peyvand.core.visibility import require_write, visible
from peyvand.customers import selectors as customer_selectors
from peyvand.customers import services as customer_services
from peyvand.customers.services import clean_owner

from . import deals, documents, numbering, orders, pdf
from .models import Deal, Quote, SellerProfile

VALIDITY_DAYS = 14
OPEN = (Quote.Status.DRAFT, Quote.Status.SENT)


class QuoteStateError(ValidationError):
    """The quote's status does not allow the operation (e.g. editing a sent quote)."""

    def __init__(self, message):
        super().__init__({"status": [message]})


# ---- reads ------------------------------------------------------------------------------


def visible_quotes(user):
    return visible(Quote.objects.all(), user)


def trashed_quotes(user):
    return visible(Quote.trashed.all(), user).order_by("-deleted_at")


def quote_detail(user, pk) -> Quote:
    """The quote with its lines, or 404 when ``user`` may not see it; expired if due."""
    quote = get_object_or_404(visible_quotes(user), pk=pk)
    expire_if_due(quote)
    queryset = visible_quotes(user).select_related(
        "owner", "team", "person", "organization", "deal", "order"
    )
    return queryset.prefetch_related("lines__product").get(pk=quote.pk)


def _int(value, field: str) -> int:
    raw = to_ascii_digits(str(value)).strip()
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError({field: [_("Enter a whole number.")]})
    return int(raw)


def filter_quotes(queryset, params):
    """``q`` (number or customer name), ``status``, ``deal``, ``person``, ``organization``."""
    query = text(params.get("q"), max_length=200)
    if query:
        key = sort_key(query)
        queryset = queryset.filter(
            Q(number__icontains=to_ascii_digits(query))
            | Q(person__name_key__contains=key)
            | Q(organization__name_key__contains=key)
        )
    if params.get("status"):
        status = params["status"]
        if status not in Quote.Status.values:
            raise ValidationError({"status": [_("Choose one of the listed options.")]})
        queryset = queryset.filter(status=status)
    for field in ("deal", "person", "organization"):
        if params.get(field):
            queryset = queryset.filter(**{f"{field}_id": _int(params[field], field)})
    return queryset


def quotes_page(user, params, limit: int):
    """One keyset page of the visible quotes, newest first."""
    queryset = filter_quotes(visible_quotes(user), params).select_related(
        "owner", "person", "organization", "deal"
    )
    return keyset_page(queryset, "created_at", True, params.get("cursor"), limit)


def customer_email(quote: Quote) -> str:
    """Where the quote goes by default: the person's first e-mail, else the organisation's."""
    for customer in (quote.person, quote.organization):
        if customer is not None:
            email = customer.emails.order_by("position", "id").first()
            if email is not None:
                return email.address
    return ""


# ---- cleaning ---------------------------------------------------------------------------


def _find(queryset, value):
    """The record ``value`` (an id in any digits, or an instance) names in ``queryset``."""
    if value in (None, ""):
        return None
    raw = to_ascii_digits(str(getattr(value, "pk", value))).strip()
    return queryset.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 19 else None


def _visible_ref(queryset, value, field: str, errors: FieldErrors, message: str):
    found = _find(queryset, value)
    if found is None and value not in (None, ""):
        errors.add(field, message)
    return found


def visible_deal(user, pk) -> Deal | None:
    return _find(deals.visible_deals(user), pk)


def _deal_lines(deal: Deal) -> list[dict]:
    """Raw lines from the deal's products, priced as the deal has them."""
    return [
        {"product": item.product_id, "quantity": item.quantity, "unit_price": item.unit_price}
        for item in deal.product_lines.all()
    ]


def _clean_refs(actor, data: dict, quote: Quote, errors: FieldErrors) -> dict:
    clean = {}
    if "deal" in data:
        clean["deal"] = _visible_ref(
            deals.visible_deals(actor), data["deal"], "deal", errors, _("There is no such deal.")
        )
    for field, queryset, message in (
        ("person", customer_selectors.visible_people(actor), _("There is no such person.")),
        (
            "organization",
            customer_selectors.visible_organizations(actor),
            _("There is no such organization."),
        ),
    ):
        if field in data:
            clean[field] = _visible_ref(queryset, data[field], field, errors, message)
    deal = clean.get("deal")
    if deal is not None and quote.pk is None:
        # A quote from a deal is for the deal's customer unless the caller names another.
        clean.setdefault("person", deal.person)
        clean.setdefault("organization", deal.organization)
        if "team" not in data and deal.team_id and deal.team_id in actor.team_ids:
            data = {**data, "team": deal.team_id}
    person = clean.get("person", quote.person if quote.pk else None)
    organization = clean.get("organization", quote.organization if quote.pk else None)
    if (
        person is None
        and organization is None
        and not {"person", "organization"} & set(errors.errors)
    ):
        errors.add("person", _("Choose the person or the organization the quote is for."))
    if "owner" in data or "team" in data or quote.pk is None:
        clean["owner"], clean["team"] = clean_owner(
            actor, data, errors, quote.owner if quote.pk else None
        )
    return clean


def _clean_dates(data: dict, quote: Quote, errors: FieldErrors) -> dict:
    clean = {}
    issued = quote.issued_on if quote.pk else timezone.localdate()
    if "valid_until" in data or quote.pk is None:
        valid_until = errors.check("valid_until", lambda: clean_date(data.get("valid_until")))
        if valid_until is None and "valid_until" not in errors.errors:
            valid_until = issued + dt.timedelta(days=VALIDITY_DAYS)
        if valid_until is not None and valid_until < issued:
            errors.add("valid_until", _("A quote cannot expire before the day it is issued."))
        if valid_until is not None and valid_until.year > issued.year + 10:
            errors.add("valid_until", _("This date is too far in the future."))
        clean["valid_until"] = valid_until
    return clean


def _clean_quote(actor, data: dict, quote: Quote, unit: str) -> tuple[dict, list | None]:
    """The cleaned fields and lines (None when the lines are not being changed)."""
    errors = FieldErrors()
    clean = _clean_refs(actor, data, quote, errors)
    clean.update(_clean_dates(data, quote, errors))
    if "notes" in data:
        clean["notes"] = errors.check("notes", lambda: text(data["notes"], max_length=5000), "")
    if "discount" in data or quote.pk is None:
        clean["discount"] = errors.check(
            "discount", lambda: rials(data.get("discount"), unit=unit) or 0, 0
        )
    raw_lines = data.get("lines")
    if raw_lines is None and quote.pk is None and clean.get("deal") is not None:
        raw_lines = _deal_lines(clean["deal"])
    lines = None
    if raw_lines is not None or quote.pk is None:
        lines = documents.clean_lines(raw_lines if raw_lines is not None else [], errors, unit=unit)
    errors.raise_if_any()
    return clean, lines


def _apply(quote: Quote, clean: dict) -> None:
    for field, value in clean.items():
        setattr(quote, field, value)


# ---- writes -----------------------------------------------------------------------------


@transaction.atomic
def create_quote(actor, data: dict, *, unit: str = "rial") -> Quote:
    """A draft quote; amounts in Rials (``unit="toman"`` for the form's Toman).

    ``data``: ``deal``, ``person``, ``organization``, ``lines`` (see ``sales.documents``;
    from a deal they default to its products), ``discount``, ``valid_until`` (default
    +14 days), ``notes``, ``owner``, ``team``.
    """
    require_write(actor)
    quote = Quote()
    clean, lines = _clean_quote(actor, dict(data), quote, unit)
    totals = documents.price_lines(lines, clean["discount"])
    _apply(quote, clean)
    quote.issued_on = timezone.localdate()
    quote.number = numbering.next_number("quote", quote.issued_on)
    quote.created_by = actor
    quote.save()
    documents.replace_lines(quote, lines, totals)
    return records.record_created(actor, quote)


def _require_status(quote: Quote, allowed, message: str) -> None:
    if quote.status not in allowed:
        raise QuoteStateError(message)


def _locked(quote: Quote) -> Quote:
    quote = records.locked(Quote, quote.pk)
    _expire_locked(quote)
    return quote


@transaction.atomic
def update_quote(
    actor, quote: Quote, data: dict, expected_version: int | None = None, *, unit: str = "rial"
) -> Quote:
    """Edit a draft; a quote already sent, accepted, rejected or expired is refused."""
    require_write(actor)
    quote = _locked(quote)
    records.check_version(quote, expected_version)
    _require_status(
        quote,
        (Quote.Status.DRAFT,),
        _("Only a draft quote can be edited. This one is %(status)s.")
        % {"status": quote.get_status_display()},
    )
    clean, lines = _clean_quote(actor, dict(data), quote, unit)
    if lines is None:
        lines = documents.stored_lines(quote)
    totals = documents.price_lines(lines, clean.get("discount", quote.discount))
    before = quote.audit_snapshot()
    _apply(quote, clean)
    documents.replace_lines(quote, lines, totals)
    records.save_changes(actor, quote, before)
    return quote


def _change_status(actor, quote: Quote, status: str, **fields) -> None:
    before = quote.audit_snapshot()
    quote.status = status
    for field, value in fields.items():
        setattr(quote, field, value)
    records.save_changes(actor, quote, before)


def default_message(quote: Quote) -> str:
    """The e-mail text offered with the quote, in Persian: the document is Persian."""
    seller = SellerProfile.current().name
    with translation.override("fa"):
        lines = [
            _("Hello,"),
            _("Please find attached our quote %(number)s, valid until %(date)s.")
            % {
                "number": to_persian_digits(quote.number),
                "date": to_persian_digits(format_date(quote.valid_until)),
            },
        ]
        if seller:
            lines.append(_("With regards, %(seller)s") % {"seller": seller})
    return "\n\n".join(lines)


def quote_pdf(quote: Quote) -> bytes:
    """The printable quote: right-to-left, Jalali dates, Persian digits (``sales.pdf``)."""
    return pdf.render_quote(quote)


def _store_pdf(quote: Quote) -> str:
    """The PDF as sent, kept under MEDIA_ROOT/quotes/ for the outbox to attach."""
    return default_storage.save(f"quotes/{quote.number}.pdf", ContentFile(quote_pdf(quote)))


@transaction.atomic
def send_quote(actor, quote: Quote, data: dict, expected_version: int | None = None):
    """E-mail the quote's PDF (``to`` defaults to the customer's e-mail; ``message`` to a
    standard text) through the outbox, and mark it sent. Returns the outbox row."""
    require_write(actor)
    quote = _locked(quote)
    records.check_version(quote, expected_version)
    _require_status(
        quote,
        OPEN,
        _("This quote is %(status)s and can no longer be sent.")
        % {"status": quote.get_status_display()},
    )
    errors = FieldErrors()
    to = errors.check(
        "to", lambda: validation.email(data.get("to") or customer_email(quote), required=True), ""
    )
    message = errors.check("message", lambda: text(data.get("message"), max_length=5000), "")
    if not quote.lines.exists():
        errors.add("lines", _("Add at least one line."))
    errors.raise_if_any()
    path = _store_pdf(quote)
    with translation.override("fa"):
        subject = _("Quote %(number)s") % {"number": quote.number}
    queued = outbox.enqueue_email(
        to=to,
        subject=subject,
        body=message or default_message(quote),
        attachments=[{"name": f"{quote.number}.pdf", "path": path, "mimetype": "application/pdf"}],
        record=quote,
        created_by=actor,
    )
    _change_status(actor, quote, Quote.Status.SENT, sent_at=timezone.now())
    return queued


@transaction.atomic
def accept_quote(actor, quote: Quote, expected_version: int | None = None):
    """The customer accepted: the quote becomes an order and its open deal is won.
    Returns the order."""
    require_write(actor)
    quote = _locked(quote)
    records.check_version(quote, expected_version)
    _require_status(
        quote,
        OPEN,
        _("This quote is %(status)s and can no longer be accepted.")
        % {"status": quote.get_status_display()},
    )
    _change_status(actor, quote, Quote.Status.ACCEPTED, decided_at=timezone.now())
    order = orders.create_order_from_quote(actor, quote)
    deal = Deal.objects.filter(pk=quote.deal_id, status=Deal.Status.OPEN).first()
    if deal is not None:
        deals.win_deal(actor, deal)
    return order


@transaction.atomic
def reject_quote(actor, quote: Quote, expected_version: int | None = None) -> Quote:
    require_write(actor)
    quote = _locked(quote)
    records.check_version(quote, expected_version)
    _require_status(
        quote,
        OPEN,
        _("This quote is %(status)s and can no longer be rejected.")
        % {"status": quote.get_status_display()},
    )
    _change_status(actor, quote, Quote.Status.REJECTED, decided_at=timezone.now())
    return quote


def trash_quote(actor, quote: Quote, expected_version: int | None = None) -> None:
    customer_services.trash(actor, quote, expected_version)


def restore_quote(actor, quote: Quote) -> None:
    customer_services.restore(actor, quote)


# ---- expiry -----------------------------------------------------------------------------


def _is_due(quote: Quote, today=None) -> bool:
    return quote.status in OPEN and quote.valid_until < (today or timezone.localdate())


def _expire_locked(quote: Quote) -> None:
    if _is_due(quote):
        _change_status(None, quote, Quote.Status.EXPIRED)


@transaction.atomic
def expire_if_due(quote: Quote) -> None:
    """Expire an open quote past its validity date (audited as done by the system)."""
    if _is_due(quote):
        _expire_locked(records.locked(Quote, quote.pk))


def expire_due_quotes(today=None) -> int:
    """Expire every open quote past its validity date; how many were expired."""
    today = today or timezone.localdate()
    due = Quote.objects.filter(status__in=OPEN, valid_until__lt=today)
    expired = 0
    for pk in due.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            quote = records.locked(Quote, pk)
            if _is_due(quote, today):
                _change_status(None, quote, Quote.Status.EXPIRED)
                expired += 1
    return expired


# ---- the editor -------------------------------------------------------------------------


def chosen_refs(user, data) -> dict:
    """The deal, person and organisation ``data`` names, each when ``user`` may see it."""
    return {
        "deal": visible_deal(user, data.get("deal")),
        "person": _find(customer_selectors.visible_people(user), data.get("person")),
        "organization": _find(
            customer_selectors.visible_organizations(user), data.get("organization")
        ),
    }


def new_quote_initial(user, params) -> dict:
    """What a new quote's form starts with: from ``?deal=`` its customer and products,
    or ``?person=`` / ``?organization=``; validity +14 days."""
    refs = chosen_refs(user, params)
    initial = {"valid_until": timezone.localdate() + dt.timedelta(days=VALIDITY_DAYS), **refs}
    deal = refs["deal"]
    if deal is not None:
        initial.update(
            person=refs["person"] or deal.person,
            organization=refs["organization"] or deal.organization,
            lines=documents.clean_lines(_deal_lines(deal), FieldErrors()),
        )
    return initial


def preview_totals(data: dict, *, unit: str):
    """The totals the editor shows while typing: (totals, errors) without saving."""
    errors = FieldErrors()
    if not data.get("lines"):
        return documents.price_lines([]), {}
    lines = documents.clean_lines(data["lines"], errors, unit=unit)
    discount = errors.check("discount", lambda: rials(data.get("discount"), unit=unit) or 0, 0)
    if errors.errors:
        return None, errors.errors
    try:
        return documents.price_lines(lines, discount), {}
    except ValidationError as exc:
        return None, exc.message_dict
