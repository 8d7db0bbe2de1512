"""Who may see and change which business record: the one rule every read goes through.

An admin sees everything. Everyone else sees the records they own and the records of
the teams they belong to; a manager sees every team they are a member of. A record a
user cannot see does not exist for them (404). A viewer reads and never writes; an
agent moves to the trash only what they own.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _


def visible(queryset: QuerySet, user) -> QuerySet:
    """``queryset`` narrowed to what ``user`` may see. Used by UI, API, search and exports."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_admin:
        return queryset
    return queryset.filter(Q(owner_id=user.pk) | Q(team_id__in=user.team_ids))


def can_see(user, obj) -> bool:
    return visible(type(obj).all_objects.filter(pk=obj.pk), user).exists()


def can_write(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and not user.is_viewer)


def require_write(user) -> None:
    if not can_write(user):
        raise PermissionDenied(_("Your role may only read records."))


def require_delete(user, obj) -> None:
    """Admins and managers may trash what they see; agents only what they own."""
    require_write(user)
    if user.is_admin or user.is_manager:
        return
    if obj.owner_id != user.pk:
        raise PermissionDenied(_("Only the owner or a manager may delete this record."))
