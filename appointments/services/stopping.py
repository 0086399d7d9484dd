"""Stopping a clinic session (停诊): appointments drive the whole flow.

The schedule marks the session stopped (scheduling.services.session_mark_stopped, which
locks its slots first); then every upcoming appointment is cancelled with its seat, billing
refunds the paid ones (its AppointmentCancelled subscriber answers the amount), the patients
are told, and the session's waitlist is closed. One transaction: all of it or none.
After it commits each patient is offered the nearest equivalent seat
(services/rebooking_offers.py).
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from appointments.models import Appointment
from appointments.services.lifecycle import appointment_cancelled_publish
from appointments.services.notify import appointment_notify
from appointments.services.rebooking_offers import offers_make_after_stop
from appointments.services.transitions import appointment_cancel_and_release
from appointments.services.waitlist import waitlist_close_for_session
from appointments.stock.deltas import stock_session_changed
from common.services import Actor
from scheduling.models import ClinicSession
from scheduling.services import session_mark_stopped

S = Appointment.Status
PAID = (S.BOOKED, S.CHECKED_IN, S.CALLED, S.SKIPPED)


@dataclass(frozen=True)
class SessionStopResult:
    """What stopping one session did: appointments cancelled, refunds asked, fen refunded."""

    cancelled: int
    refunds: int
    refunded: int


def session_stop_impact(*, session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{session id: (upcoming appointments, paid ones)}: what stopping them would cancel
    and refund, for staff to confirm before they stop. Sessions without any are left out."""
    rows = (
        Appointment.objects.filter(
            session_id__in=session_ids, status__in=Appointment.UPCOMING
        )
        .values("session_id")
        .annotate(upcoming=Count("pk"), paid=Count("pk", filter=Q(status__in=PAID)))
        .order_by("session_id")
    )
    return {row["session_id"]: (row["upcoming"], row["paid"]) for row in rows}


@transaction.atomic
def session_stop(
    *,
    actor: Actor,
    session: ClinicSession,
    reason: str,
    now: datetime.datetime | None = None,
) -> SessionStopResult:
    """Stop a clinic session (停诊): cancel its appointments, close its waitlist, refund, notify.

    Returns how many appointments were cancelled and refunds asked for. Raises DomainError
    without a reason and Conflict when the session is already stopped (nothing changes).
    """
    now = now or timezone.now()
    session_mark_stopped(actor=actor, session=session, reason=reason, now=now)
    stock_session_changed(session_id=session.pk)
    reason = session.stop_reason

    cancelled = refunds = refunded = 0
    paid_or_free: dict[int, bool] = {}
    upcoming = (
        session.appointments.select_related("user")
        .filter(status__in=Appointment.UPCOMING)
        .order_by("pk")
    )
    for appointment in upcoming:
        was_paid = appointment.status in PAID
        paid_or_free[appointment.pk] = was_paid
        appointment_cancel_and_release(
            actor=actor,
            appointment=appointment,
            cancelled_by=Appointment.CancelledBy.STOP_CLINIC,
            reason=reason,
            now=now,
        )
        amount = appointment_cancelled_publish(
            actor=actor,
            appointment=appointment,
            was_paid=was_paid,
            refund_reason="stop_clinic",
        )
        if amount:
            refunds += 1
            refunded += amount
        appointment_notify(appointment=appointment, event="stop_clinic")
        cancelled += 1
    waitlist_close_for_session(actor=actor, session=session, reason="stop_clinic")
    if paid_or_free:
        # After the stop commits, in short transactions of their own (rebooking_offers.py):
        # a failed offer never undoes the stop, and concurrent stops do not hold each
        # other's slot locks for the whole flow.
        transaction.on_commit(
            lambda: offers_make_after_stop(
                actor=actor, paid_by_appointment=paid_or_free, now=now
            ),
            robust=True,
        )
    return SessionStopResult(cancelled=cancelled, refunds=refunds, refunded=refunded)
