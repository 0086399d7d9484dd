"""The one notification entry point for appointment events.

Every event that a patient should hear about passes through here, inside the transaction
that caused it. Each call writes one notification row (the outbox entry and the patient's
inbox copy) in that transaction and queues its delivery after the commit; see
appointments.notifications.delivery for how it is sent and why it is never lost.
"""

from appointments.models import (
    Appointment,
    Notification,
    RebookingOffer,
    WaitlistEntry,
)
from appointments.notifications.delivery import notification_create
from appointments.notifications.messages import (
    appointment_context,
    rebooking_offer_context,
    waitlist_context,
)

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
    "hold_expiring",
    "refund_done",
    "visit_reminder",
    # The no-show model in use (services/noshow_risk.py, services/noshow_release.py).
    "confirm_request",
    "unconfirmed_released",
    # A booking moved to another slot (services/reschedule.py): old and new time.
    "rescheduled",
    # Written by records (the layer above), which calls appointment_notify directly.
    "record_ready",
    "report_ready",
)


def appointment_notify(
    *,
    appointment: Appointment,
    event: str,
    dedupe_key: str | None = None,
    extra_context: dict[str, str] | None = None,
) -> Notification | None:
    """Notify the appointment's user of `event`. Once per appointment and event, unless a
    `dedupe_key` says otherwise. Returns None when it was notified already.

    `extra_context`: values the event's text needs beyond the appointment's own (the old
    visit time of a reschedule)."""
    if event not in EVENTS:
        raise ValueError(f"unknown appointment event {event!r}")
    return notification_create(
        user_id=appointment.user_id,
        event=event,
        dedupe_key=dedupe_key or f"appointment:{appointment.pk}:{event}",
        context=appointment_context(appointment) | (extra_context or {}),
        appointment_id=appointment.pk,
        profile_id=appointment.profile_id,
    )


def waitlist_notify(*, entry: WaitlistEntry, event: str) -> Notification | None:
    if event not in EVENTS:
        raise ValueError(f"unknown waitlist event {event!r}")
    return notification_create(
        user_id=entry.user_id,
        event=event,
        dedupe_key=f"waitlist:{entry.pk}:{event}",
        context=waitlist_context(entry),
        appointment_id=entry.appointment_id,
        profile_id=entry.profile_id,
    )


def rebooking_offer_notify(*, offer: RebookingOffer) -> Notification | None:
    """Tell the patient of a stopped booking which seat is held for them and until when.
    Called in the transaction that makes the offer: an offer rolled back (or a stop that
    never committed, whose offers are never made) sends nothing. Once per offer."""
    return notification_create(
        user_id=offer.appointment.user_id,
        event=Notification.Event.REBOOKING_OFFERED,
        dedupe_key=f"rebooking_offer:{offer.pk}:offered",
        context=rebooking_offer_context(offer),
        appointment_id=offer.appointment_id,
        profile_id=offer.appointment.profile_id,
    )
