"""Pages for duplicates: the review queue, the merge screen and the merge history.

Thin like the other views: the rules (who may merge, what moves, what undo restores)
live in ``merge`` and ``duplicates``; what a user may see, in ``selectors``.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peyvand.core.errors import StaleVersionError
from peyvand.core.visibility import can_write

from . import duplicates, forms, merge, selectors


def _errors(exc: ValidationError) -> list[str]:
    return (
        [m for messages_ in exc.message_dict.values() for m in messages_]
        if hasattr(exc, "error_dict")
        else exc.messages
    )


def _may_scan(user) -> bool:
    return user.is_admin or user.is_manager


@login_required
def duplicate_queue(request):
    pairs, next_cursor = selectors.duplicate_queue(
        request.user, request.GET.get("cursor"), settings.PEYVAND["PAGE_SIZE"]
    )
    for pair in pairs:
        pair.reason_labels = duplicates.reason_labels(pair.reasons)
    context = {
        "pairs": pairs,
        "next_cursor": next_cursor,
        "params": request.GET,
        "scan": selectors.latest_scan(),
        "may_scan": _may_scan(request.user),
        "can_write": can_write(request.user),
    }
    return render(request, "customers/duplicate_queue.html", context)


@login_required
@require_POST
def duplicate_dismiss(request, pk):
    pair = selectors.get_pair(request.user, pk)
    try:
        duplicates.dismiss_pair(request.user, pair)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Marked as not duplicates."))
    return redirect("customers:duplicate_queue")


@login_required
@require_POST
def duplicate_scan(request):
    try:
        duplicates.request_scan(request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The scan has started. Refresh this page to see its results."))
    return redirect("customers:duplicate_queue")


@login_required
def person_merge(request, pk, other_pk):
    survivor = selectors.person_detail(request.user, pk)
    other = selectors.person_detail(request.user, other_pk)
    errors, stale = [], False
    if request.method == "POST":
        names = merge.field_names(survivor, other)
        choices = {name: request.POST[name] for name in names if name in request.POST}
        versions = {
            "survivor": forms.parse_version(request.POST.get("survivor_version")),
            "other": forms.parse_version(request.POST.get("other_version")),
        }
        try:
            done = merge.merge_people(request.user, survivor, other, choices, versions)
        except ValidationError as exc:
            errors = _errors(exc)
        except StaleVersionError:
            stale = True
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("customers:person_detail", survivor.pk)
        else:
            messages.success(request, _("Merged. You can undo it from the merge history."))
            return redirect("customers:person_detail", done.survivor_id)
    context = {
        "survivor": survivor,
        "other": other,
        "rows": merge.compare(survivor, other),
        "related": merge.related_counts(survivor, other),
        "errors": errors,
        "stale": stale,
        "stale_message": StaleVersionError.message,
        "can_write": can_write(request.user),
    }
    status = 409 if stale else (422 if errors else 200)
    return render(request, "customers/person_merge.html", context, status=status)


@login_required
def merge_history(request):
    merges, next_cursor = selectors.merge_history(
        request.user, request.GET.get("cursor"), settings.PEYVAND["PAGE_SIZE"]
    )
    context = {
        "merges": merges,
        "next_cursor": next_cursor,
        "params": request.GET,
        "can_write": can_write(request.user),
    }
    return render(request, "customers/merge_history.html", context)


@login_required
@require_POST
def merge_undo(request, pk):
    done = selectors.get_merge(request.user, pk)
    try:
        merge.undo_merge(request.user, done)
    except (ValidationError, PermissionDenied) as exc:
        for message in _errors(exc) if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, message)
        return redirect("customers:merge_history")
    messages.success(request, _("The merge has been undone."))
    return redirect("customers:person_detail", done.merged_id)
