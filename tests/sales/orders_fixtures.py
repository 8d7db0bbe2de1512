"""Helpers the order tests share: products, orders and payments made through the services."""

from peyvand.sales import catalog, orders

XSS = "<script>alert(1)</script>"


def make_product(actor, code="LAPTOP-1", price=1_250_000, **extra):
    """A product with the default 10% VAT rule; ``actor`` is a manager or an admin."""
    return catalog.create_product(
        actor, {"code": code, "name": f"کالای {code}", "price": price, **extra}
    )


def new_order(actor, person, lines, **data):
    return orders.create_order(actor, {"person": person.pk, "lines": lines, **data})


def delivered_order(actor, person, lines):
    order = new_order(actor, person, lines)
    return orders.set_status(actor, order, "delivered")
