"""Queueing Celery tasks from request code without letting a broker outage fail the request.

Call `enqueue` from `transaction.on_commit`: the change is committed by then, so a broker
that cannot be reached must not turn it into an error for the patient. Every caller has a
periodic sweep that finds the work again (pending notifications, refunds, open orders).
"""

import logging

from celery import Task
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# One quick retry: a request must not hang on a broker that is down.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
BROKER_ERRORS = (OperationalError, ConnectionError, OSError)


def enqueue(task: Task, *args: object) -> bool:
    """Send `task` with `args`; False (logged) when the broker cannot be reached."""
    try:
        task.apply_async(args, retry_policy=PUBLISH_RETRY_POLICY)
    except BROKER_ERRORS:
        logger.exception(
            "could not queue %s%r; its sweep will pick the work up", task.name, args
        )
        return False
    return True
