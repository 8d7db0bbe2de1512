"""The sales side of a customer's 360 page: the deals, quotes and orders of a person or an
organisation that the reader may see, newest first, through the sales selectors."""

from peyvand.sales.deals import visible_deals
from peyvand.sales.orders import visible_orders
from peyvand.sales.quotes import visible_quotes

# Each list shows this many; the rest are counted ("and 12 more").
SHOWN = 10


def _section(records, customer_field: str, customer, ordering: tuple, related: tuple) -> dict:
    mine = records.filter(**{customer_field: customer})
    items = list(mine.select_related(*related).order_by(*ordering)[: SHOWN + 1])
    more = mine.count() - SHOWN if len(items) > SHOWN else 0
    return {"items": items[:SHOWN], "more": more}


def sales_history(user, customer, entity: str) -> dict:
    """``{"deals", "quotes", "orders"}``, each ``{"items", "more"}``, for ``customer`` (a
    person when ``entity == "person"``, else an organisation)."""
    field = "person" if entity == "person" else "organization"
    return {
        "deals": _section(
            visible_deals(user), field, customer, ("-created_at", "-id"), ("stage", "owner")
        ),
        "quotes": _section(visible_quotes(user), field, customer, ("-issued_on", "-id"), ()),
        "orders": _section(visible_orders(user), field, customer, ("-ordered_at", "-id"), ()),
    }
