from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import records


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_expired_trash():
    return records.purge_expired()
