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


class PossibleDuplicateError(Exception):
    """Records that look like the one being saved already exist; the user may save anyway.

    ``candidates`` are plain dicts (id, name, phones, emails, score, reasons), ready for
    the API's answer and the form alike.
    """

    message = _(
        "This looks like a record that already exists. Check the likely duplicates, or save anyway."
    )

    def __init__(self, candidates: list[dict]):
        super().__init__(str(self.message))
        self.candidates = candidates
