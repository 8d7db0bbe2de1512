"""API of quotes: list, read, create, edit, trash, restore, the PDF, send, accept, reject.

Handlers parse, call ``sales.quotes`` and shape the answer; visibility, validation,
versions, status rules and audit live there.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from peyvand.api import check_if_match, if_match_version, with_etag
from peyvand.core.schemas import Page, RecordId

from . import quotes
from .quote_schemas import (
    AcceptOut,
    QuoteIn,
    QuoteListOut,
    QuoteOut,
    QuotePatch,
    QuoteQuery,
    SendIn,
    SendOut,
)

router = Router(tags=["quotes"])


def _current(request, id: int):
    """The visible quote, after the If-Match check of a write."""
    quote = quotes.quote_detail(request.auth, id)
    check_if_match(request, quote)
    return quote


def _answer(request, response: HttpResponse, id: int):
    quote = quotes.quote_detail(request.auth, id)
    with_etag(response, quote)
    return quote


@router.get("/quotes", response=Page[QuoteListOut])
def list_quotes(request, params: Query[QuoteQuery]):
    """Newest first; `q` matches the number or the customer's name."""
    items, next_cursor = quotes.quotes_page(request.auth, request.GET, params.page_size)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/quotes", response={201: QuoteOut})
def create_quote(request, payload: QuoteIn, response: HttpResponse):
    quote = quotes.create_quote(request.auth, payload.dict(exclude_unset=True))
    response["Location"] = f"{request.path.rstrip('/')}/{quote.pk}"
    return Status(201, _answer(request, response, quote.pk))


@router.get("/quotes/{id}", response=QuoteOut)
def get_quote(request, id: RecordId, response: HttpResponse):
    return _answer(request, response, id)


@router.patch("/quotes/{id}", response=QuoteOut)
def update_quote(request, id: RecordId, payload: QuotePatch, response: HttpResponse):
    """Only a draft can be edited; `lines`, when given, replace all the lines."""
    quote = _current(request, id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    expected = version if version is not None else if_match_version(request)
    quotes.update_quote(request.auth, quote, data, expected)
    return _answer(request, response, id)


@router.delete("/quotes/{id}", response={204: None})
def delete_quote(request, id: RecordId):
    quotes.trash_quote(request.auth, _current(request, id), if_match_version(request))
    return Status(204, None)


@router.post("/quotes/{id}/restore", response=QuoteOut)
def restore_quote(request, id: RecordId, response: HttpResponse):
    quote = get_object_or_404(quotes.trashed_quotes(request.auth), pk=id)
    quotes.restore_quote(request.auth, quote)
    return _answer(request, response, id)


@router.get("/quotes/{id}/pdf", response={200: None})
def quote_pdf(request, id: RecordId):
    """The printable quote (application/pdf): right-to-left, Jalali dates, Persian digits."""
    quote = quotes.quote_detail(request.auth, id)
    response = HttpResponse(quotes.quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote.number}.pdf"'
    return response


@router.post("/quotes/{id}/send", response=SendOut)
def send_quote(request, id: RecordId, payload: SendIn, response: HttpResponse):
    """E-mail the PDF (queued in the outbox, sent by the worker) and mark the quote sent.
    `{}` sends to the customer's e-mail with the standard text."""
    quote = _current(request, id)
    data = payload.dict(exclude_unset=True)
    queued = quotes.send_quote(request.auth, quote, data, if_match_version(request))
    return {"quote": _answer(request, response, id), "outbox_id": queued.pk, "to": queued.recipient}


@router.post("/quotes/{id}/accept", response=AcceptOut)
def accept_quote(request, id: RecordId, response: HttpResponse):
    """The customer accepted: an order is made from the quote and its open deal is won."""
    order = quotes.accept_quote(request.auth, _current(request, id), if_match_version(request))
    return {"quote": _answer(request, response, id), "order": order.pk}


@router.post("/quotes/{id}/reject", response=QuoteOut)
def reject_quote(request, id: RecordId, response: HttpResponse):
    quotes.reject_quote(request.auth, _current(request, id), if_match_version(request))
    return _answer(request, response, id)
