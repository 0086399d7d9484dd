"""Appointments' Celery tasks: thin wrappers that call one service each."""

from celery import shared_task

from appointments.events import NotificationCreated
from appointments.notifications import delivery, reminders
from appointments.release_queue.upkeep import (
    release_queue_upkeep as release_queue_upkeep_run,
)
from appointments.services import noshow_release
from appointments.services.lifecycle import sessions_mark_no_shows as no_shows_mark
from appointments.services.rebooking_offers import (
    rebooking_offers_lapse as offers_lapse,
)
from appointments.services.ticket_writer import tickets_write
from appointments.stock.client import stock_enabled
from appointments.stock.reconcile import stock_reconcile
from common.services import Actor
from common.tasks import enqueue


@shared_task
def sessions_mark_no_shows() -> int:
    return no_shows_mark(actor=Actor.system())


@shared_task(bind=True, max_retries=None)
def notification_deliver(self, notification_id: int) -> str:
    """Send one notification. While WeChat or SMS is unavailable the service puts the row
    back with a growing delay (and gives up after NOTIFICATIONS["MAX_ATTEMPTS"]); the task
    retries after that same delay. A retry lost with the broker is left to the sweeper."""
    result = delivery.notification_deliver(notification_id=notification_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)
    return result.status


@shared_task
def notifications_sweep() -> int:
    return delivery.notifications_sweep()


@shared_task
def reminders_sweep() -> int:
    return reminders.reminders_sweep()


@shared_task
def unconfirmed_release_sweep() -> int:
    return noshow_release.unconfirmed_release_sweep()


def notification_created_queue(event: NotificationCreated) -> None:
    """After commit (subscribed in appointments/apps.py): queue the delivery. If the broker
    cannot be reached, the sweeper sends it later."""
    enqueue(notification_deliver, event.notification_id)


@shared_task
def booking_stock_reconcile() -> int:
    """Load the sessions due into the seat stock and repair drift; the seats repaired."""
    if not stock_enabled():
        return 0
    return len(stock_reconcile().seats_fixed)


@shared_task
def release_queue_upkeep() -> int:
    """Mark sessions for the release queue by demand; write releases' demand. The
    sessions marked."""
    return len(release_queue_upkeep_run().marked)


@shared_task
def booking_tickets_write() -> int:
    """Write queued booking tickets left by an absent writer process (a safety net: the
    writer process, manage.py booking_writer, is the fast path). Tickets decided."""
    decided = 0
    while True:
        report = tickets_write()
        decided += report.claimed
        if report.claimed == 0:
            return decided


@shared_task
def rebooking_offers_lapse() -> int:
    """Close unanswered rebooking offers and return their seats. Offers lapsed."""
    return offers_lapse(actor=Actor.system())
