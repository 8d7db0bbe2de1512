"""API of notes, calls, meetings and follow-ups."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from peyvand.api import check_if_match, if_match_version, with_etag
from peyvand.core.pagination import keyset_page
from peyvand.core.persian import to_ascii_digits
from peyvand.core.schemas import Page, RecordId
from peyvand.core.visibility import visible

from . import selectors, services
from .models import Activity
from .schemas import ActivityIn, ActivityOut, ActivityPatch, ActivityQuery

router = Router(tags=["activities"])

_SORTS = {"-occurred": ("occurred_at", True), "occurred": ("occurred_at", False)}
_YES = {"1", "true", "yes", "on"}
_NO = {"0", "false", "no", "off"}


def _id(value, field):
    digits = to_ascii_digits(value).strip()
    if not digits.isdigit():
        raise ValidationError({field: [_("Enter a whole number.")]})
    return int(digits)


def _filtered(user, params: ActivityQuery):
    """Visible activities narrowed by the list filters."""
    activities = selectors.visible_activities(user)
    if params.q:
        activities = activities.filter(subject__icontains=params.q[:200])
    for field in ("person", "organization", "deal", "assignee"):
        value = getattr(params, field)
        if value:
            activities = activities.filter(**{f"{field}_id": _id(value, field)})
    if params.kind:
        if params.kind not in Activity.Kind.values:
            raise ValidationError({"kind": [_("Choose one of the listed options.")]})
        activities = activities.filter(kind=params.kind)
    if params.open:
        flag = params.open.strip().lower()
        if flag not in _YES | _NO:
            raise ValidationError({"open": [_("Answer yes or no.")]})
        open_tasks = {"kind": Activity.Kind.TASK, "done_at__isnull": True}
        activities = (
            activities.filter(**open_tasks) if flag in _YES else activities.exclude(**open_tasks)
        )
    return activities


def _fresh(request, pk) -> Activity:
    """The activity as stored (datetimes in UTC, like every other read)."""
    return selectors.get_activity(request.auth, pk)


@router.get("/activities", response=Page[ActivityOut])
def list_activities(request, params: Query[ActivityQuery]):
    sort = params.sort or "-occurred"
    if sort not in _SORTS:
        raise ValidationError({"sort": [_("Unknown sort order.")]})
    field, descending = _SORTS[sort]
    items, next_cursor = keyset_page(
        _filtered(request.auth, params), field, descending, params.cursor, params.page_size
    )
    return {"items": items, "next_cursor": next_cursor}


@router.post("/activities", response={201: ActivityOut})
def create_activity(request, payload: ActivityIn, response: HttpResponse):
    created = services.create_activity(request.auth, payload.dict(exclude_unset=True))
    activity = _fresh(request, created.pk)
    with_etag(response, activity)
    response["Location"] = f"{request.path.rstrip('/')}/{activity.pk}"
    return Status(201, activity)


@router.get("/activities/{id}", response=ActivityOut)
def get_activity(request, id: RecordId, response: HttpResponse):
    activity = selectors.get_activity(request.auth, id)
    with_etag(response, activity)
    return activity


@router.patch("/activities/{id}", response=ActivityOut)
def update_activity(request, id: RecordId, payload: ActivityPatch, response: HttpResponse):
    activity = selectors.get_activity(request.auth, id)
    check_if_match(request, activity)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    expected = version if version is not None else if_match_version(request)
    services.update_activity(request.auth, activity, data, expected)
    activity = _fresh(request, id)
    with_etag(response, activity)
    return activity


@router.delete("/activities/{id}", response={204: None})
def delete_activity(request, id: RecordId):
    activity = selectors.get_activity(request.auth, id)
    check_if_match(request, activity)
    services.trash_activity(request.auth, activity)
    return Status(204, None)


@router.post("/activities/{id}/restore", response=ActivityOut)
def restore_activity(request, id: RecordId, response: HttpResponse):
    activity = get_object_or_404(visible(Activity.trashed.all(), request.auth), pk=id)
    services.restore_activity(request.auth, activity)
    activity = _fresh(request, id)
    with_etag(response, activity)
    return activity


@router.post("/activities/{id}/complete", response=ActivityOut)
def complete_activity(request, id: RecordId, response: HttpResponse):
    """Mark a follow-up done. ``If-Match: "N"`` guards against completing a changed task."""
    activity = selectors.get_activity(request.auth, id)
    check_if_match(request, activity)
    services.complete_task(request.auth, activity, if_match_version(request))
    activity = _fresh(request, id)
    with_etag(response, activity)
    return activity
