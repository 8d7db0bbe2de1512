"""Background work of the sales app: the nightly retraining of the predictive lead score and
the expiry of quotes past their validity date."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import quotes, scoring


@db_periodic_task(crontab(minute="47", hour="2"))
def retrain_lead_score_model():
    """Learn from the day's won and lost deals, and rescore the open leads."""
    scoring.train()


@db_periodic_task(crontab(minute="5", hour="0"))
def expire_quotes():
    """Quotes still open after their validity date become expired."""
    quotes.expire_due_quotes()
