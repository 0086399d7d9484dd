from celery import shared_task

from common.services import Actor


@shared_task
def sessions_mark_no_shows() -> int:
    from appointments.services import sessions_mark_no_shows as mark

    return mark(actor=Actor.system())


@shared_task(bind=True, max_retries=None)
def notification_deliver(self, notification_id: int) -> str:
    """Send one notification. While WeChat or SMS is unavailable the service puts the row
    back with a growing delay (and gives up after NOTIFICATIONS["MAX_ATTEMPTS"]); the task
    retries after that same delay. A retry lost with the broker is left to the sweeper."""
    from appointments.notifications.delivery import notification_deliver as deliver

    result = deliver(notification_id=notification_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)
    return result.status


@shared_task
def notifications_sweep() -> int:
    from appointments.notifications.delivery import notifications_sweep as sweep

    return sweep()


@shared_task
def reminders_sweep() -> int:
    from appointments.notifications.reminders import reminders_sweep as sweep

    return sweep()
