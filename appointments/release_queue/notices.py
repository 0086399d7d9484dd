"""Telling a patient their turn came (排队放号): one notice per admitted place.

Admission happens in whichever poll runs STATUS first, often another patient's, so the
patient whose turn it is may have put the phone down. Each place admitted gets a notice
through the outbox (inbox, WeChat subscribe message if they subscribed when joining; a text
only where NOTIFY_SMS_EVENTS lists it): written by the poll that admitted it, two queries and
one row per place, at most the queue's admission rate. A failure to write is logged and
never fails the poll: the waiting-room page shows the turn anyway.
"""

import logging

from django.db import DatabaseError, transaction

from accounts.models import PatientProfile
from appointments.models import Notification
from appointments.notifications.delivery import notification_create
from appointments.notifications.messages import local_time_text
from appointments.release_queue.place import utc_at
from appointments.release_queue.store import QueueFacts, queue_status
from scheduling.models import ClinicSession

logger = logging.getLogger(__name__)


def queue_status_told(
    *, session_id: int, member: int | None, now: float
) -> QueueFacts | None:
    """STATUS, then a notice to each place it admitted. Raises Redis errors."""
    facts = queue_status(session_id=session_id, member=member, now=now)
    if facts is not None and facts.admitted_now:
        admitted_notify(
            session_id=session_id, admitted=facts.admitted_now, admitted_at=now
        )
    return facts


def admitted_notify(
    *,
    session_id: int,
    admitted: tuple[tuple[int, int, float], ...],
    admitted_at: float,
) -> int:
    """Write the notices of the places one STATUS call admitted. How many were written."""
    if not admitted:
        return 0
    try:
        return _write(session_id, admitted, admitted_at)
    except DatabaseError:
        logger.exception(
            "release queue %s: could not write the turn notices", session_id
        )
        return 0


def _write(
    session_id: int,
    admitted: tuple[tuple[int, int, float], ...],
    admitted_at: float,
) -> int:
    session = ClinicSession.objects.select_related("doctor").get(pk=session_id)
    profiles = PatientProfile.objects.in_bulk([profile for _, profile, _ in admitted])
    base = {
        "session_id": str(session_id),
        "doctor": session.doctor.name,
        "visit_date": session.date.isoformat(),
        "period": str(session.get_period_display()),
    }
    written = 0
    with transaction.atomic():
        for user_id, profile_id, until in admitted:
            profile = profiles.get(profile_id)
            notice = notification_create(
                user_id=user_id,
                profile_id=profile_id if profile else None,
                event=Notification.Event.RELEASE_QUEUE_ADMITTED,
                dedupe_key=(
                    f"release_queue:{session_id}:{user_id}:{round(admitted_at * 1000)}"
                ),
                context=base
                | {
                    "patient": profile.name if profile else "",
                    "pass_until": local_time_text(utc_at(until)),
                },
            )
            written += notice is not None
    return written
