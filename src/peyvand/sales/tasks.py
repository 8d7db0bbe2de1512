"""Background work of the sales app: the nightly retraining of the predictive lead score."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import scoring


@db_periodic_task(crontab(minute="47", hour="2"))
def retrain_lead_score_model():
    """Learn from the day's won and lost deals, and rescore the open leads."""
    scoring.train()
