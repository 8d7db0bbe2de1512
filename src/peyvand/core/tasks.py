from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import database, records


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_expired_trash():
    return records.purge_expired()


@db_periodic_task(crontab(minute="41", hour="3"))
def refresh_database_statistics():
    database.refresh_statistics()
