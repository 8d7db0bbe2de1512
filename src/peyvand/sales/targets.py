"""Monthly sales targets (a Jalali year and month) for one owner or one team.

Who reads which: an administrator reads every target; everyone else reads the targets of
their own teams and of the people who share a team with them (the same people whose deals
they see). Who writes: administrators for anyone, managers for their teams and the members
of those teams; agents and viewers never.
"""

import jdatetime
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Team, User
from peyvand.core import validation
from peyvand.core.persian import to_ascii_digits

from .models import SalesTarget

# The Jalali calendar table (core.JalaliDay) covers these years; reports group through it.
FIRST_YEAR, LAST_YEAR = 1379, 1479


# ---- who may read and write -----------------------------------------------------------------


def readable_users(user):
    """People whose targets and figures ``user`` may look at: everyone for an admin, else
    oneself and one's team mates."""
    users = User.objects.all()
    if user.is_admin:
        return users
    return users.filter(Q(pk=user.pk) | Q(teams__in=user.team_ids)).distinct()


def readable_teams(user):
    return Team.objects.all() if user.is_admin else Team.objects.filter(pk__in=user.team_ids)


def can_set_targets(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_admin or user.is_manager))


def require_target_setter(user) -> None:
    if not can_set_targets(user):
        raise PermissionDenied(_("Only a manager or an administrator may set sales targets."))


def visible_targets(user):
    """Targets ``user`` may read (see the module's docstring)."""
    targets = SalesTarget.objects.select_related("user", "team")
    if user.is_admin:
        return targets
    return targets.filter(
        Q(team_id__in=user.team_ids) | Q(user__in=readable_users(user).values("pk"))
    )


# ---- input ------------------------------------------------------------------------------------


def jalali_year(value, *, required: bool = True) -> int | None:
    """A Jalali year (``1405`` or ``۱۴۰۵``) the calendar table covers."""
    raw = to_ascii_digits(str(value if value is not None else "")).strip()
    if not raw:
        if required:
            raise ValidationError(_("This field is required."))
        return None
    if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= LAST_YEAR:
        raise ValidationError(
            _("Enter a Jalali year from %(first)d to %(last)d.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return int(raw)


def jalali_month(value) -> int:
    raw = to_ascii_digits(str(value if value is not None else "")).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 12:
        raise ValidationError(_("Enter a month from 1 to 12."))
    return int(raw)


def current_jalali_year() -> int:
    return jdatetime.date.fromgregorian(date=timezone.localdate()).year


def clean_year(value) -> int:
    """A report's Jalali year: the one given, else the current one."""
    errors = validation.FieldErrors()
    year = errors.check("year", lambda: jalali_year(value, required=False))
    errors.raise_if_any()
    return year or current_jalali_year()


def clean_target_filters(params) -> dict:
    """Filters of a target list: ``year``, ``user`` and ``team`` (any digits)."""
    errors = validation.FieldErrors()
    filters = {
        "year": errors.check("year", lambda: jalali_year(params.get("year"), required=False)),
        "user_id": errors.check("user", lambda: _record_id(params.get("user"))),
        "team_id": errors.check("team", lambda: _record_id(params.get("team"))),
    }
    errors.raise_if_any()
    return {name: value for name, value in filters.items() if value is not None}


def _record_id(value) -> int | None:
    raw = to_ascii_digits(str(value if value is not None else "")).strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError(_("Enter a whole number."))
    return int(raw)


def settable_users(actor):
    if actor.is_admin:
        return User.objects.filter(is_active=True)
    return User.objects.filter(is_active=True, teams__in=actor.team_ids).distinct()


def settable_teams(actor):
    return readable_teams(actor)


def may_set(actor, target: SalesTarget) -> bool:
    if target.team_id:
        return settable_teams(actor).filter(pk=target.team_id).exists()
    return settable_users(actor).filter(pk=target.user_id).exists()


def _holder(actor, data: dict, errors: validation.FieldErrors, field: str | None = None):
    """``{"user": user}`` or ``{"team": team}`` named by ``data``; errors go under ``field``
    (a grid cell) or under ``user`` / ``team``."""
    user_id = errors.check(field or "user", lambda: _record_id(data.get("user")))
    team_id = errors.check(field or "team", lambda: _record_id(data.get("team")))
    if (user_id is None) == (team_id is None):
        errors.add(field or "user", _("Name either an owner or a team, not both."))
        return None
    if user_id is not None:
        user = settable_users(actor).filter(pk=user_id).first()
        if user is None:
            errors.add(field or "user", _("No such user among the members of your teams."))
        return {"user": user}
    team = settable_teams(actor).filter(pk=team_id).first()
    if team is None:
        errors.add(field or "team", _("No such team among your teams."))
    return {"team": team}


# ---- writes -----------------------------------------------------------------------------------


@transaction.atomic
def set_target(actor, data: dict, *, unit: str = "rial") -> tuple[SalesTarget, bool]:
    """Create or replace the target of one owner or team for one Jalali month.

    ``data``: ``year``, ``month``, ``user`` or ``team`` (ids) and ``amount`` (Rials, or
    Toman with ``unit="toman"``). Returns the target and whether it is new.
    """
    require_target_setter(actor)
    errors = validation.FieldErrors()
    year = errors.check("year", lambda: jalali_year(data.get("year")))
    month = errors.check("month", lambda: jalali_month(data.get("month")))
    amount = errors.check(
        "amount",
        lambda: validation.rials(data.get("amount"), required=True, unit=unit, allow_zero=False),
    )
    holder = _holder(actor, data, errors)
    errors.raise_if_any()
    return SalesTarget.objects.update_or_create(
        year=year,
        month=month,
        **holder,
        defaults={"amount": amount, "set_by": actor},
    )


@transaction.atomic
def delete_target(actor, target: SalesTarget) -> None:
    require_target_setter(actor)
    if not may_set(actor, target):
        raise PermissionDenied(_("This target belongs to someone outside your teams."))
    target.delete()


@transaction.atomic
def save_year(actor, year, cells: list[dict], *, unit: str = "rial") -> int:
    """Save a year's grid at once: each cell is ``{"key", "user" or "team", "month",
    "amount"}``; an empty amount removes that month's target. Errors are keyed by the
    cell's ``key``, and one bad cell saves nothing. Returns how many targets changed."""
    require_target_setter(actor)
    errors = validation.FieldErrors()
    year = errors.check("year", lambda: jalali_year(year))
    planned = []
    for cell in cells:
        key = cell["key"]
        amount = errors.check(
            key,
            lambda cell=cell: validation.rials(cell.get("amount"), unit=unit, allow_zero=False),
        )
        month = errors.check(key, lambda cell=cell: jalali_month(cell.get("month")))
        holder = _holder(actor, cell, errors, key)
        planned.append((holder, month, amount))
    errors.raise_if_any()
    changed = 0
    for holder, month, amount in planned:
        existing = SalesTarget.objects.filter(year=year, month=month, **holder).first()
        if amount is None and existing:
            existing.delete()
            changed += 1
        elif amount is not None and (existing is None or existing.amount != amount):
            SalesTarget.objects.update_or_create(
                year=year,
                month=month,
                **holder,
                defaults={"amount": amount, "set_by": actor},
            )
            changed += 1
    return changed


# ---- reads for reports ------------------------------------------------------------------------


def amounts(years, *, users=(), teams=()) -> dict[tuple[str, int, int], int]:
    """``{("user" | "team", id, month_key): amount}`` of these holders' targets in these
    Jalali years (``month_key`` = year × 100 + month, as in ``core.JalaliDay``)."""
    found = SalesTarget.objects.filter(year__in=list(years)).filter(
        Q(user_id__in=list(users)) | Q(team_id__in=list(teams))
    )
    result = {}
    for user_id, team_id, year, month, amount in found.values_list(
        "user_id", "team_id", "year", "month", "amount"
    ):
        holder = ("user", user_id) if user_id else ("team", team_id)
        result[(*holder, year * 100 + month)] = amount
    return result
