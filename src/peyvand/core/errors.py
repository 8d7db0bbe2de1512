"""Exceptions that services raise and both the UI and the API translate for the user."""

from django.utils.translation import gettext_lazy as _


class StaleVersionError(Exception):
    """The record changed since the caller read it: their edit would overwrite someone's."""

    message = _(
        "This record was changed by someone else after you opened it. "
        "Reload it to see their changes, then apply yours again."
    )

    def __init__(self, current_version: int):
        super().__init__(str(self.message))
        self.current_version = current_version
