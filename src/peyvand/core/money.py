"""Money is stored as whole Rials; the UI shows Toman (Rial / 10) or Rial."""

from django.conf import settings
from django.utils.translation import gettext as _


def display_unit() -> str:
    return getattr(settings, "PEYVAND_CURRENCY_DISPLAY", "toman")


def format_rials(amount: int | None) -> str:
    """``12,500,000 Toman`` for 125,000,000 Rials (digits localised by the template filter)."""
    if amount is None:
        return ""
    if display_unit() == "toman":
        return _("%(amount)s Toman") % {"amount": f"{amount // 10:,}"}
    return _("%(amount)s Rial") % {"amount": f"{amount:,}"}
