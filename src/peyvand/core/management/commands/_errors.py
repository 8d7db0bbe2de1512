"""Turning a service's ValidationError into a command-line error a person can read."""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


def command_error(exc: ValidationError) -> CommandError:
    if hasattr(exc, "error_dict"):
        lines = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
    else:
        lines = exc.messages
    return CommandError("\n".join(lines))
