"""The one notification entry point for appointment events.

Every event that a patient should hear about passes through here, inside the transaction
that caused it. Delivery (WeChat subscribe message, SMS, in-app inbox) belongs to the
notifications work; until it lands, events are recorded in the application log only.
"""

import logging

from appointments.models import Appointment, WaitlistEntry

logger = logging.getLogger("appointments.events")

EVENTS = (
    "booked",
    "payment_due",
    "cancelled",
    "expired",
    "stop_clinic",
    "waitlist_promoted",
    "waitlist_closed",
    "checked_in",
    "no_show",
)


def appointment_notify(*, appointment: Appointment, event: str) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown appointment event {event!r}")
    logger.info("appointment event %s order=%s", event, appointment.order_no)


def waitlist_notify(*, entry: WaitlistEntry, event: str) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown waitlist event {event!r}")
    logger.info("waitlist event %s entry=%s", event, entry.pk)
