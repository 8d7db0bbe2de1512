"""Notes, calls, meetings and follow-up tasks, and the notifications they raise."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import BusinessRecord


class Activity(BusinessRecord):
    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Call")
        MEETING = "meeting", _("Meeting")
        TASK = "task", _("Follow-up")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Answered")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        VOICEMAIL = "voicemail", _("Left a message")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, db_index=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    person = models.ForeignKey(
        "customers.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    organization = models.ForeignKey(
        "customers.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    deal = models.ForeignKey(
        "sales.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # Calls
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, blank=True
    )
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True)
    # Meetings
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    # Follow-ups
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_activities",
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["person", "-occurred_at"], name="activity_person_time"),
            models.Index(fields=["organization", "-occurred_at"], name="activity_org_time"),
            models.Index(fields=["kind", "done_at", "due_at"], name="activity_open_tasks"),
            # A customer's open follow-ups on the 360 page.
            models.Index(fields=["person", "kind", "done_at"], name="activity_person_open"),
            models.Index(fields=["organization", "kind", "done_at"], name="activity_org_open"),
            models.Index(fields=["deal", "-occurred_at"], name="activity_deal_time"),
        ]

    def __str__(self):
        return self.subject

    def timeline_subject(self):
        return self.person or self.organization

    @property
    def is_open_task(self) -> bool:
        return self.kind == self.Kind.TASK and self.done_at is None

    @property
    def is_overdue(self) -> bool:
        return self.is_open_task and self.due_at is not None and self.due_at < timezone.now()

    @classmethod
    def audit_labels(cls) -> dict:
        return {"done": _("done")}

    def audit_snapshot(self) -> dict:
        return {
            "subject": self.subject,
            "body": self.body,
            "kind": self.kind,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
            "direction": self.direction,
            "duration_seconds": self.duration_seconds,
            "outcome": self.outcome,
            "location": self.location,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "assignee": str(self.assignee) if self.assignee_id else None,
            "priority": self.priority,
            "done": self.done_at is not None,
            "owner": str(self.owner) if self.owner_id else None,
        }


class Notification(models.Model):
    """An in-app message for one user, e.g. a follow-up that has come due."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]
