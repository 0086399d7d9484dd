"""Analytics' Celery tasks: thin wrappers that call one service each."""

from celery import shared_task

from analytics import scoring
from appointments.events import AppointmentBooked, AppointmentsBooked
from common.tasks import enqueue


@shared_task
def booking_noshow_score(appointment_id: int) -> str:
    return scoring.booking_noshow_score(appointment_id=appointment_id)


@shared_task
def bookings_noshow_score(appointment_ids: list[int]) -> dict[str, int]:
    return scoring.bookings_noshow_score(appointment_ids=appointment_ids)


@shared_task
def unscored_bookings_score() -> int:
    return scoring.unscored_bookings_score()


def appointment_booked_queue(event: AppointmentBooked) -> None:
    """After the booking commits (subscribed in analytics/apps.py): queue the scoring, so
    the booking request never waits for the model. If the broker cannot be reached, the
    sweep scores the booking later; the risk is an aid, never a condition of booking."""
    enqueue(booking_noshow_score, event.appointment_id)


def appointments_booked_queue(event: AppointmentsBooked) -> None:
    """The same for a batch of bookings written at once: one task for the batch."""
    enqueue(bookings_noshow_score, list(event.appointment_ids))
