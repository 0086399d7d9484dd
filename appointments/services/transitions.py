"""The one place an appointment changes status.

Every transition is a compare-and-set on the status column, so two processes racing to move
the same appointment (a patient cancelling while the expiry job runs) cannot both win: the
loser gets a Conflict and changes nothing. Each transition writes an operation-log row.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.errors import ErrorCode
from appointments.models import Appointment
from appointments.stock.deltas import stock_seat_returned
from common.errors import Conflict
from common.services import Actor, operation_log_write
from scheduling.models import Slot
from scheduling.soldout import slot_seats_returned

logger = logging.getLogger(__name__)

S = Appointment.Status

ALLOWED: dict[str, set[str]] = {
    S.PENDING_PAYMENT: {S.BOOKED, S.CANCELLED},
    S.BOOKED: {S.CHECKED_IN, S.CANCELLED, S.NO_SHOW},
    # Stop-clinic sends checked-in patients home too (patients cannot cancel once checked in).
    S.CHECKED_IN: {S.CALLED, S.COMPLETED, S.CANCELLED},
    # The clinic floor (services/queue.py): a called patient is seen or skipped (过号); a
    # skipped one checks in again or is called again directly.
    S.CALLED: {S.COMPLETED, S.SKIPPED, S.CANCELLED},
    S.SKIPPED: {S.CHECKED_IN, S.CALLED, S.CANCELLED, S.NO_SHOW},
    # A payment that arrives after its hold expired may revive the booking (see payments).
    S.CANCELLED: {S.BOOKED},
    S.COMPLETED: set(),
    S.NO_SHOW: set(),
}


# What a reschedule changes besides the status (appointment_move).
MOVED_FIELDS = [
    "slot",
    "session",
    "doctor",
    "queue_no",
    "fee",
    "visit_starts_at",
    "visit_ends_at",
    "place",
    "hold_expires_at",
    "booked_early",
]


def appointment_lock(*, appointment_id: int) -> None:
    """Lock the appointment's row (its primary key alone) until commit.

    Taken first by every path that changes a booking awaiting payment or booked (payment,
    cancel, expiry, reschedule, the no-show release), so they queue on this one lock. The
    status compare-and-set alone is not enough on InnoDB: its UPDATE may lock the status
    index entry before the row, and two such writers, one holding the row, deadlock. No
    join (a FOR UPDATE with joins would lock the joined rows too; MariaDB has no OF).
    """
    Appointment.objects.select_for_update().filter(pk=appointment_id).values_list(
        "pk", flat=True
    ).first()


def appointment_transition(
    *,
    actor: Actor,
    appointment: Appointment,
    to_status: str,
    summary: str = "",
    **changes,
) -> Appointment:
    """Move `appointment` from its current status to `to_status`, or raise Conflict.

    `changes` are extra fields written in the same UPDATE. The in-memory object is refreshed.
    Must run inside a transaction (the callers' services are atomic).
    """
    from_status = appointment.status
    if to_status not in ALLOWED[from_status]:
        raise Conflict(
            ErrorCode.TRANSITION_NOT_ALLOWED,
            _("An appointment that is %(from)s cannot become %(to)s.")
            % {"from": S(from_status).label, "to": S(to_status).label},
        )
    values = {"status": to_status, "updated_at": timezone.now(), **changes}
    values["holds_seat"] = None if to_status == S.CANCELLED else True
    moved = Appointment.objects.filter(pk=appointment.pk, status=from_status).update(
        **values
    )
    if moved != 1:
        raise Conflict(
            ErrorCode.APPOINTMENT_STATE_CHANGED,
            _("The appointment was changed by someone else; please refresh."),
        )
    for field, value in values.items():
        setattr(appointment, field, value)
    operation_log_write(
        actor=actor,
        action=f"appointment.{to_status}",
        obj=appointment,
        summary=summary or f"{from_status} -> {to_status}",
    )
    return appointment


def appointment_cancel_and_release(
    *,
    actor: Actor,
    appointment: Appointment,
    cancelled_by: str,
    reason: str,
    now: datetime.datetime,
) -> Appointment:
    """Cancel and give the seat back to the slot. Returns the cancelled appointment."""
    assert transaction.get_connection().in_atomic_block
    appointment_transition(
        actor=actor,
        appointment=appointment,
        to_status=S.CANCELLED,
        summary=f"cancelled by {cancelled_by}: {reason}",
        cancelled_by=cancelled_by,
        cancel_reason=reason[:255],
        cancelled_at=now,
        hold_expires_at=None,
    )
    seat_give_back(
        slot_id=appointment.slot_id,
        session_id=appointment.session_id,
        profile_id=appointment.profile_id,
    )
    return appointment


def seat_give_back(
    *, slot_id: int, session_id: int | None = None, profile_id: int | None = None
) -> None:
    """Give one seat back to the slot (a cancel, a move away): the sold-out flag cleared,
    the count lowered. Takes the slot row lock until commit. The seat stock gets the seat
    after commit, and the profile (when given) may book in `session_id` again."""
    slot_seats_returned(slot_id=slot_id)
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)
    stock_seat_returned(slot_id=slot_id, session_id=session_id, profile_id=profile_id)


def appointment_move(
    *,
    actor: Actor,
    appointment: Appointment,
    from_status: str,
    summary: str,
    **changes,
) -> Appointment:
    """Move a seat-holding booking to another slot (a reschedule): one compare-and-set on
    its status, writing the new slot, session, doctor, time, queue number and fee.

    The status may stay, or (a free booking moved to a paid slot) go back to pending
    payment, the only way a booked appointment returns there. The caller moved the seats.
    """
    assert transaction.get_connection().in_atomic_block
    to_status = changes.get("status", from_status)
    if from_status not in (S.PENDING_PAYMENT, S.BOOKED) or to_status not in (
        S.PENDING_PAYMENT,
        S.BOOKED,
    ):
        raise Conflict(
            ErrorCode.TRANSITION_NOT_ALLOWED,
            _("An appointment that is %(from)s cannot become %(to)s.")
            % {"from": S(from_status).label, "to": S(to_status).label},
        )
    values = {"updated_at": timezone.now(), **changes}
    moved = Appointment.objects.filter(
        pk=appointment.pk, status=from_status, holds_seat=True
    ).update(**values)
    if moved != 1:
        raise Conflict(
            ErrorCode.APPOINTMENT_STATE_CHANGED,
            _("The appointment was changed by someone else; please refresh."),
        )
    for field, value in values.items():
        setattr(appointment, field, value)
    operation_log_write(
        actor=actor, action="appointment.rescheduled", obj=appointment, summary=summary
    )
    return appointment
