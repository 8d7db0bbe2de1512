"""The e-mail outbox against a real SMTP server (aiosmtpd): once, with retries, never twice."""

import datetime as dt
from email import message_from_bytes

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from peyvand.core import outbox
from peyvand.core.models import OutboxMessage
from tests.sales.smtp import Inbox, start_smtp

pytest_plugins = ["tests.sales.quotes_fixtures"]

pytestmark = pytest.mark.django_db


def _queue(**extra) -> OutboxMessage:
    return outbox.enqueue_email(
        to="buyer@example.com", subject="پیش‌فاکتور", body="سلام، پیوست را ببینید.", **extra
    )


def test_a_due_message_is_sent_once_with_its_attachment(smtp_server, admin):
    path = default_storage.save("quotes/test.pdf", ContentFile(b"%PDF-1.7 test"))
    message = _queue(
        attachments=[{"name": "PF-1.pdf", "path": path, "mimetype": "application/pdf"}],
        created_by=admin,
    )
    assert outbox.dispatch_due() == 1
    assert outbox.dispatch_due() == 0
    assert outbox.dispatch_one(message.pk) is False

    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.mail_from == "sales@peyvand.example"
    assert envelope.rcpt_tos == ["buyer@example.com"]
    mail = message_from_bytes(envelope.content)
    assert mail["Subject"] and "سلام" in next(
        part.get_payload(decode=True).decode()
        for part in mail.walk()
        if part.get_content_type() == "text/plain"
    )
    attached = [part for part in mail.walk() if part.get_filename() == "PF-1.pdf"]
    assert attached[0].get_payload(decode=True) == b"%PDF-1.7 test"

    message.refresh_from_db()
    assert (message.status, message.attempts, message.created_by) == ("sent", 1, admin)
    assert message.sent_at is not None and message.provider_id == mail["Message-ID"]


def test_a_refused_connection_leaves_the_row_pending_for_later(closed_smtp_port):
    message = _queue()
    before = timezone.now()
    assert outbox.dispatch_due() == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.next_attempt_at >= before + dt.timedelta(seconds=60)
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()
    # Not due yet: nothing is tried before the backoff ends.
    assert outbox.dispatch_due() == 0
    message.refresh_from_db()
    assert message.attempts == 1


def test_backoff_doubles_then_gives_up(closed_smtp_port, settings):
    settings.PEYVAND = {**settings.PEYVAND, "OUTBOX_MAX_ATTEMPTS": 3}
    message = _queue()
    waits = []
    for _attempt in range(3):
        now = timezone.now() + dt.timedelta(days=len(waits))
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=now)
        outbox.dispatch_due(now)
        message.refresh_from_db()
        waits.append(message.next_attempt_at - now)
    assert waits[:2] == [dt.timedelta(seconds=60), dt.timedelta(seconds=120)]
    assert (message.status, message.attempts) == ("failed", 3)


def test_a_permanent_refusal_fails_at_once(settings):
    class RefuseEveryone(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
            return "550 5.1.1 No such mailbox"

    controller = start_smtp(settings, RefuseEveryone())
    try:
        message = _queue()
        assert outbox.dispatch_due() == 0
    finally:
        controller.stop()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "550" in message.last_error


def test_two_workers_never_claim_one_row(smtp_server):
    message = _queue()
    now = timezone.now()
    assert outbox._claim(message.pk, now) is True
    assert outbox._claim(message.pk, now) is False  # the second worker finds it taken
    assert outbox.dispatch_due() == 0
    assert smtp_server.envelopes == []


def test_a_row_left_sending_by_a_dead_worker_is_failed_not_resent(smtp_server):
    message = _queue()
    long_ago = timezone.now() - dt.timedelta(hours=1)
    OutboxMessage.objects.filter(pk=message.pk).update(status="sending", claimed_at=long_ago)
    assert outbox.dispatch_due() == 0
    message.refresh_from_db()
    assert message.status == "failed" and "may or may not" in message.last_error
    assert smtp_server.envelopes == []


def test_a_rolled_back_change_sends_nothing(smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue()
        raise RuntimeError("the business change failed")
    assert not OutboxMessage.objects.exists()
    assert outbox.dispatch_due() == 0


def test_the_message_is_tried_right_after_the_commit(smtp_server):
    # Huey runs tasks inline in tests, so the commit hook delivers at once.
    with TestCase.captureOnCommitCallbacks(execute=True):
        message = _queue()
    message.refresh_from_db()
    assert message.status == "sent"
    assert len(smtp_server.envelopes) == 1
