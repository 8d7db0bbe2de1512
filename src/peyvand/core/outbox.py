"""The outbox: every e-mail leaves through a row written with the change that asks for it.

``enqueue_email`` writes the row inside the caller's transaction, so a rolled-back change
sends nothing, and asks the worker to try it as soon as the transaction commits. The
dispatcher (``dispatch_due``, every minute, and ``dispatch_one`` right after a commit)
claims a due row with a conditional UPDATE, so two workers never take the same row;
sends it through Django's mail API (the SMTP server of the settings) with a Message-ID
chosen before sending and recorded as the provider's id; and on a temporary failure
tries again later, backing off exponentially, until it gives up and marks it failed.

Delivery is at most once: a row whose worker died mid-send (still ``sending`` after
``OUTBOX_STALE_MINUTES``) may or may not have gone out, so it is marked failed for a
person to check, never sent a second time.
"""

import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

DEFAULTS = {
    "OUTBOX_MAX_ATTEMPTS": 6,  # then the row is marked failed
    "OUTBOX_RETRY_SECONDS": 60,  # the first retry; each next one waits twice as long
    "OUTBOX_MAX_RETRY_SECONDS": 6 * 3600,
    "OUTBOX_STALE_MINUTES": 15,
    "OUTBOX_BATCH": 100,  # rows one dispatch run looks at
}


def _setting(name: str) -> int:
    return getattr(settings, "PEYVAND", {}).get(name, DEFAULTS[name])


def enqueue_email(
    *,
    to: str,
    subject: str,
    body: str,
    html_body: str = "",
    attachments: list[dict] | None = None,
    record=None,
    created_by=None,
) -> OutboxMessage:
    """Queue an e-mail in the caller's transaction; it is sent after the commit.

    ``attachments``: ``[{"name", "path" (under MEDIA_ROOT), "mimetype"}]``, files the
    caller has stored already. ``record`` is the business record the message belongs to.
    """
    message = OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.EMAIL,
        recipient=to,
        subject=subject[:300],
        body=body,
        html_body=html_body,
        attachments=list(attachments or []),
        content_type=ContentType.objects.get_for_model(record) if record is not None else None,
        object_id=record.pk if record is not None else None,
        created_by=created_by if created_by and created_by.is_authenticated else None,
    )
    transaction.on_commit(lambda: _send_soon(message.pk))
    return message


def _send_soon(pk: int) -> None:
    from .tasks import deliver_outbox_message  # the task module imports this one

    deliver_outbox_message(pk)


def messages_for(record):
    """The outbox rows of one business record, newest first."""
    return OutboxMessage.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    )


# ---- the dispatcher ---------------------------------------------------------------------


def _claim(pk: int, now) -> bool:
    """Take the row for this worker, or learn that another one has it or it is not due."""
    claimed = OutboxMessage.objects.filter(
        pk=pk,
        channel=OutboxMessage.Channel.EMAIL,
        status=OutboxMessage.Status.PENDING,
        next_attempt_at__lte=now,
    ).update(status=OutboxMessage.Status.SENDING, claimed_at=now)
    return claimed == 1


def _email(message: OutboxMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"Message-ID": message.provider_id},
        # Its own connection, opened and closed by send(): a refused connection then
        # fails this row's send, inside the error handling below.
        connection=get_connection(fail_silently=False),
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    for item in message.attachments:
        with default_storage.open(item["path"], "rb") as stored:
            email.attach(item["name"], stored.read(), item.get("mimetype"))
    return email


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer (unknown mailbox, message refused): trying again will not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _msg in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def _retry_delay(attempts: int) -> timedelta:
    seconds = _setting("OUTBOX_RETRY_SECONDS") * 2 ** (attempts - 1)
    return timedelta(seconds=min(seconds, _setting("OUTBOX_MAX_RETRY_SECONDS")))


def _record_failure(message: OutboxMessage, exc: Exception, now) -> None:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if _is_permanent(exc) or message.attempts >= _setting("OUTBOX_MAX_ATTEMPTS"):
        message.status = OutboxMessage.Status.FAILED
    else:
        message.status = OutboxMessage.Status.PENDING
        message.next_attempt_at = now + _retry_delay(message.attempts)
    message.claimed_at = None
    message.save(
        update_fields=["attempts", "last_error", "status", "next_attempt_at", "claimed_at"]
    )


def _deliver(message: OutboxMessage) -> None:
    # The Message-ID is fixed before the first try and kept, so the id we record is the
    # one the recipient's server saw.
    if not message.provider_id:
        message.provider_id = make_msgid(domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2])
        message.save(update_fields=["provider_id"])
    _email(message).send()
    message.status = OutboxMessage.Status.SENT
    message.sent_at = timezone.now()
    message.attempts += 1
    message.last_error = ""
    message.save(update_fields=["status", "sent_at", "attempts", "last_error"])


def _send_claimed(pk: int, now) -> bool:
    message = OutboxMessage.objects.get(pk=pk)
    try:
        _deliver(message)
    except (smtplib.SMTPException, OSError) as exc:
        _record_failure(message, exc, now)
        return False
    return True


def dispatch_one(pk: int, now=None) -> bool:
    """Send one row now if it is due and nobody else has it; True when it went out."""
    now = now or timezone.now()
    return _claim(pk, now) and _send_claimed(pk, now)


def fail_stale(now=None) -> int:
    """Rows left ``sending`` by a worker that died: they may have gone out, so they are
    marked failed rather than sent again."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=_setting("OUTBOX_STALE_MINUTES"))
    return OutboxMessage.objects.filter(
        status=OutboxMessage.Status.SENDING, claimed_at__lt=cutoff
    ).update(
        status=OutboxMessage.Status.FAILED,
        last_error="Interrupted while sending: it may or may not have been delivered.",
    )


def dispatch_due(now=None) -> int:
    """Send every due e-mail, one row at a time; returns how many went out."""
    now = now or timezone.now()
    fail_stale(now)
    due = OutboxMessage.objects.filter(
        channel=OutboxMessage.Channel.EMAIL,
        status=OutboxMessage.Status.PENDING,
        next_attempt_at__lte=now,
    ).order_by("next_attempt_at", "id")
    # Each row is claimed on its own: another worker may take some of these meanwhile.
    return sum(
        _claim(pk, now) and _send_claimed(pk, now)
        for pk in list(due.values_list("pk", flat=True)[: _setting("OUTBOX_BATCH")])
    )
