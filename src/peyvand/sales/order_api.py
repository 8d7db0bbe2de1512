"""API of orders, the online shop's push, payments and returns.

Handlers parse, call ``sales.orders`` and shape the answer; visibility, validation,
versions and audit live there.
"""

from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from peyvand.api import check_if_match, if_match_version, with_etag
from peyvand.core.schemas import CountedPage, RecordId

from . import orders
from .order_schemas import (
    InstalmentPlanIn,
    OrderIn,
    OrderOut,
    OrderPatch,
    OrderQuery,
    PaymentIn,
    PaymentOut,
    PaymentPatch,
    ReturnIn,
    ReturnOut,
    ShopOrderIn,
)

router = Router(tags=["orders"])

# What one page of orders prefetches, so a page costs a fixed number of queries.
RELATED = ("lines", orders.PAYMENTS_IN_ORDER, "returns")


def _detail(request, pk, response: HttpResponse):
    order = orders.order_detail(request.auth, pk)
    with_etag(response, order)
    return order


def _created(request, response: HttpResponse, pk):
    order = _detail(request, pk, response)
    response["Location"] = f"/api/v1/orders/{order.pk}"
    return order


@router.get("/orders", response=CountedPage[OrderOut])
def list_orders(request, filters: Query[OrderQuery]):
    """Newest first. Filters: status, origin, owner, person, organization, Jalali `month`
    (1405/02) and `q` (order number, or the customer's name, phone, e-mail or ID)."""
    items, next_cursor = orders.orders_page(request.auth, request.GET, filters.page_size)
    prefetch_related_objects(items, *RELATED)
    total = orders.orders_count(request.auth, request.GET)
    return {
        "items": items,
        "next_cursor": next_cursor,
        "count": total.value,
        "count_is_exact": total.is_exact,
    }


@router.post("/orders", response={201: OrderOut})
def create_order(request, payload: OrderIn, response: HttpResponse):
    """An order entered by hand; it starts as `new`."""
    order = orders.create_order(request.auth, payload.dict(exclude_unset=True))
    return Status(201, _created(request, response, order.pk))


@router.post("/orders/shop", response={200: OrderOut, 201: OrderOut})
def push_shop_order(request, payload: ShopOrderIn, response: HttpResponse):
    """An online shop's order with its customer, lines and payments received.

    Idempotent by `shop_order_id`: the first push creates the order (201), a repeat
    returns the same order (200) and changes nothing. The customer is matched by national
    ID, phone or e-mail among the people the caller sees, else created (source: website).
    An unknown `sku` is a 422 naming the line (`lines.<i>.sku`). The caller's team owns it.
    """
    order, created = orders.push_shop_order(request.auth, payload.dict(exclude_unset=True))
    return Status(201 if created else 200, _created(request, response, order.pk))


@router.get("/orders/{id}", response=OrderOut)
def get_order(request, id: RecordId, response: HttpResponse):
    return _detail(request, id, response)


@router.patch("/orders/{id}", response=OrderOut)
def update_order(request, id: RecordId, payload: OrderPatch, response: HttpResponse):
    """Status (`delivered` starts the after-sales cadences), notes and owner at any time;
    customer, deal, lines and discount while the order is new. Honours `If-Match`."""
    order = orders.order_detail(request.auth, id)
    check_if_match(request, order)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    expected = version if version is not None else if_match_version(request)
    orders.update_order(request.auth, order, data, expected)
    return _detail(request, id, response)


@router.delete("/orders/{id}", response={204: None})
def delete_order(request, id: RecordId):
    order = orders.order_detail(request.auth, id)
    check_if_match(request, order)
    orders.trash_order(request.auth, order, if_match_version(request))
    return Status(204, None)


@router.post("/orders/{id}/restore", response=OrderOut)
def restore_order(request, id: RecordId, response: HttpResponse):
    orders.restore_order(
        request.auth, get_object_or_404(orders.trashed_orders(request.auth), pk=id)
    )
    return _detail(request, id, response)


# ---- payments ---------------------------------------------------------------------------


@router.get("/orders/{id}/payments", response=list[PaymentOut])
def list_payments(request, id: RecordId):
    return orders.order_detail(request.auth, id).payments.all()  # prefetched in order


@router.post("/orders/{id}/payments", response={201: PaymentOut})
def add_payment(request, id: RecordId, payload: PaymentIn):
    """Cash, card or transfer (received), or a cheque (bank, number, due date) or an
    instalment (due date), pending until marked received. More than what is left to pay
    is refused (422)."""
    order = orders.order_detail(request.auth, id)
    return Status(201, orders.add_payment(request.auth, order, payload.dict(exclude_unset=True)))


@router.post("/orders/{id}/instalments", response={201: list[PaymentOut]})
def add_instalment_plan(request, id: RecordId, payload: InstalmentPlanIn):
    """Split what is left to pay into `count` pending monthly instalments, the first due
    on `first_due_on` and each next one a Jalali month later."""
    order = orders.order_detail(request.auth, id)
    payments = orders.add_instalment_plan(request.auth, order, payload.dict(exclude_unset=True))
    return Status(201, payments)


@router.patch("/payments/{id}", response=PaymentOut)
def update_payment(request, id: RecordId, payload: PaymentPatch):
    """Mark a pending cheque or instalment `received` (on `received_on`, default today) or
    `bounced`."""
    payment = orders.payment_detail(request.auth, id)
    return orders.set_payment_status(request.auth, payment, payload.dict(exclude_unset=True))


# ---- returns ----------------------------------------------------------------------------


@router.get("/orders/{id}/returns", response=list[ReturnOut])
def list_returns(request, id: RecordId):
    return orders.order_detail(request.auth, id).returns.all()


@router.post("/orders/{id}/returns", response={201: ReturnOut})
def add_return(request, id: RecordId, payload: ReturnIn):
    """Goods sent back on one line of a delivered order; `refund` defaults to their share
    of the line's net and tax."""
    order = orders.order_detail(request.auth, id)
    return Status(201, orders.add_return(request.auth, order, payload.dict(exclude_unset=True)))
