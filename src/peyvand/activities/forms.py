"""Turning the activity form's POST into the dict ``activities.services`` takes, and back.

The form is plain HTML (the customer's 360 page includes it with only ``customer`` in
context), so there is no Django Form here: the service validates, and its field errors
are mapped back onto the inputs the user typed in.
"""

import math

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from peyvand.core import jalali
from peyvand.core.persian import to_ascii_digits

from .models import Activity

COMMON_FIELDS = ("subject", "body", "occurred_at")
# The inputs each kind shows; the others are ignored so a hidden input cannot leak in.
KIND_FIELDS = {
    Activity.Kind.NOTE: (),
    Activity.Kind.CALL: ("direction", "duration", "outcome"),
    Activity.Kind.MEETING: ("ends_at", "location"),
    Activity.Kind.TASK: ("due_at", "assignee", "priority"),
}
# Service field → the input that shows its error; "form" is the alert above the inputs.
ERROR_FIELDS = {
    "duration_seconds": "duration",
    "person": "form",
    "organization": "form",
    NON_FIELD_ERRORS: "form",
}
UNITS = {"minutes": 60, "seconds": 1}


def _duration_seconds(value: str, unit: str):
    """Whole seconds from a number of minutes or seconds; anything else goes to the service
    unchanged so that it reports the error."""
    text = to_ascii_digits(value or "").strip().replace("/", ".").replace("٫", ".")
    if not text:
        return ""
    try:
        seconds = float(text) * UNITS.get(unit, 60)
    except ValueError:
        return value
    return round(seconds) if math.isfinite(seconds) else value


def service_data(post, kind: str) -> dict:
    """The service input for an activity of ``kind`` from the submitted form."""
    fields = COMMON_FIELDS + KIND_FIELDS.get(kind, ())
    data = {field: post.get(field, "") for field in fields}
    if "duration" in data:
        data["duration_seconds"] = _duration_seconds(
            data.pop("duration"), post.get("duration_unit", "minutes")
        )
    return data


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """``{input name: [messages]}``; errors about no particular input go under ``form``."""
    if not hasattr(exc, "error_dict"):
        return {"form": exc.messages}
    errors: dict[str, list[str]] = {}
    for field, messages in exc.message_dict.items():
        errors.setdefault(ERROR_FIELDS.get(field, field), []).extend(messages)
    return errors


def initial_values(activity: Activity) -> dict:
    """The edit form's values, as the user would type them (Jalali, minutes)."""
    values = {
        "kind": activity.kind,
        "subject": activity.subject,
        "body": activity.body,
        "occurred_at": jalali.format_datetime(activity.occurred_at),
        "direction": activity.direction,
        "outcome": activity.outcome,
        "ends_at": jalali.format_datetime(activity.ends_at),
        "location": activity.location,
        "due_at": jalali.format_datetime(activity.due_at),
        "assignee": str(activity.assignee_id or ""),
        "priority": activity.priority,
        "done": activity.done_at is not None,
        "duration": "",
        "duration_unit": "seconds",
        "version": activity.version,
    }
    if activity.duration_seconds is not None:
        seconds = activity.duration_seconds
        if seconds % 60 == 0:
            values.update(duration=str(seconds // 60), duration_unit="minutes")
        else:
            values["duration"] = str(seconds)
    return values
