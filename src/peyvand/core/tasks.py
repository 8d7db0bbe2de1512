from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import database, outbox, records


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_expired_trash():
    return records.purge_expired()


@db_periodic_task(crontab(minute="41", hour="3"))
def refresh_database_statistics():
    database.refresh_statistics()


@db_periodic_task(crontab())
def dispatch_outbox():
    """Every minute: the due e-mails, including retries of earlier failures."""
    return outbox.dispatch_due()


@db_task()
def deliver_outbox_message(pk: int):
    """Right after the commit that queued it, so a message need not wait for the minute."""
    return outbox.dispatch_one(pk)
