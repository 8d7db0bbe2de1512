from django import template

from peyvand.activities.models import Activity

register = template.Library()


@register.simple_tag
def activity_choices():
    """The model's choice lists, so the activity forms never copy them."""
    return {
        "kind": Activity.Kind.choices,
        "direction": Activity.Direction.choices,
        "outcome": Activity.Outcome.choices,
        "priority": Activity.Priority.choices,
    }
