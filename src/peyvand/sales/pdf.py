"""The printable quote: HTML typeset by WeasyPrint into a right-to-left PDF.

Always Persian, whatever the user's interface language: a پیش‌فاکتور is a Persian
document, with Jalali dates, Persian digits, amounts in Rials (as Iranian invoices state
them) with the total also in words. The Vazirmatn font is read from the npm package.
"""

from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from persiantools.digits import to_word
from weasyprint import HTML

from peyvand.core.jalali import format_date
from peyvand.core.persian import to_persian_digits
from peyvand.core.phone import display_phone

from .models import Quote, SellerProfile

FONT_DIR = settings.NODE_MODULES / "vazirmatn" / "fonts" / "ttf"
THOUSANDS = "\u066c"  # ٬ the Arabic thousands separator Persian text uses
DECIMAL = "\u066b"  # ٫


def amount(rials: int) -> str:
    """``۱۲٬۵۰۰٬۰۰۰``: Persian digits grouped by thousands."""
    return to_persian_digits(f"{rials:,}".replace(",", THOUSANDS))


def number(value: Decimal) -> str:
    """A quantity without trailing zeros: ``۲٫۵``."""
    text = f"{Decimal(value).normalize():f}"
    return to_persian_digits(text.replace(".", DECIMAL))


def jalali(day) -> str:
    return to_persian_digits(format_date(day))


def _first(related):
    return related.order_by("position", "id").first()


def _address(customer) -> str:
    address = _first(customer.addresses.select_related("province", "city"))
    if address is None:
        return ""
    parts = [address.province, address.city, address.line]
    text = "، ".join(str(part) for part in parts if part)
    if address.postal_code:
        text += f" ({to_persian_digits(address.postal_code)})"
    return text


def _phone(customer) -> str:
    phone = _first(customer.phones)
    return to_persian_digits(display_phone(phone.number)) if phone else ""


def _buyer(quote: Quote) -> dict:
    """The buyer block: the organisation when there is one (the person as its contact),
    its address and phone, else the person's."""
    person, organization = quote.person, quote.organization
    customers = [c for c in (organization, person) if c is not None]
    return {
        "person": person,
        "organization": organization,
        "person_national_id": to_persian_digits(person.national_id) if person else "",
        "organization_national_id": to_persian_digits(organization.national_id)
        if organization
        else "",
        "economic_code": to_persian_digits(organization.economic_code) if organization else "",
        "address": next(filter(None, map(_address, customers)), ""),
        "phone": next(filter(None, map(_phone, customers)), ""),
    }


def _lines(quote: Quote) -> list[dict]:
    return [
        {
            "row": to_persian_digits(str(index)),
            "description": line.description,
            "quantity": number(line.quantity),
            "unit": line.get_unit_display(),
            "unit_price": amount(line.unit_price),
            "discount": amount(line.gross - line.net),
            "tax": amount(line.tax),
            "total": amount(line.total),
        }
        for index, line in enumerate(quote.lines.all(), start=1)
    ]


def _font_faces() -> list[dict]:
    return [
        {"weight": 400, "url": (FONT_DIR / "Vazirmatn-Regular.ttf").as_uri()},
        {"weight": 700, "url": (FONT_DIR / "Vazirmatn-Bold.ttf").as_uri()},
    ]


def render_quote(quote: Quote) -> bytes:
    seller = SellerProfile.current()
    with translation.override("fa"):
        html = render_to_string(
            "sales/quotes/quote_pdf.html",
            {
                "quote": quote,
                "fonts": _font_faces(),
                "number": to_persian_digits(quote.number),
                "issued_on": jalali(quote.issued_on),
                "valid_until": jalali(quote.valid_until),
                "seller": seller,
                "seller_codes": {
                    field: to_persian_digits(getattr(seller, field))
                    for field in (
                        "national_id",
                        "economic_code",
                        "registration_number",
                        "phone",
                        "postal_code",
                    )
                },
                "buyer": _buyer(quote),
                "lines": _lines(quote),
                "subtotal": amount(quote.subtotal),
                "discount_total": amount(quote.discount_total),
                "tax_total": amount(quote.tax_total),
                "total": amount(quote.total),
                "total_in_words": to_word(quote.total),
            },
        )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
