"""Events appointments publish for higher apps (common/events.py explains the mechanism)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from common.events import DomainEvent

if TYPE_CHECKING:  # a type only: events load with the app configs, before any model
    from common.services import Actor


@dataclass(frozen=True)
class AppointmentCancelled(DomainEvent):
    """An upcoming appointment was cancelled and its seat returned (by the patient, by
    staff, or by stopping its session). Published inside the cancelling transaction.

    `was_paid`: the booking had been paid, so what was paid is to be refunded for
    `refund_reason` ("cancel:patient", "cancel:staff", "stop_clinic"); otherwise the
    payment orders the patient opened but did not pay are to be closed, and anything
    paid before is refunded too (a paid booking moved to a dearer slot that awaited its
    top-up, a reschedule). Also published when an unpaid hold expires. A subscriber that
    refunds returns the amount it refunded, in fen.
    """

    appointment_id: int
    was_paid: bool
    refund_reason: str
    actor: Actor


@dataclass(frozen=True)
class NotificationCreated(DomainEvent):
    """A notification (outbox row) was written; its delivery is queued after commit by
    appointments' own task (subscribed in appointments/apps.py)."""

    notification_id: int


@dataclass(frozen=True)
class AppointmentBooked(DomainEvent):
    """A patient's booking was made: a hold created (to be paid) or a free booking
    confirmed at once, by the patient or from the waitlist (not a walk-in at the desk);
    or moved to another slot (a reschedule clears its no-show risk, scored again).
    Published inside the booking transaction; subscribers that do slow work (analytics
    scores the no-show risk) subscribe on commit, so the rush path never waits for them.
    """

    appointment_id: int


@dataclass(frozen=True)
class AppointmentsBooked(DomainEvent):
    """Several patients' bookings made in one transaction: a batch of booking tickets
    written by the ticket writer (appointments.services.ticket_writer). The same meaning as
    AppointmentBooked for each; one event, so a subscriber queues one piece of work per
    batch rather than one per booking."""

    appointment_ids: tuple[int, ...]


@dataclass(frozen=True)
class AppointmentRescheduled(DomainEvent):
    """A booking was moved to another slot (改约): the same appointment row, a new slot and
    perhaps a new fee. Published inside the rescheduling transaction, after the move.

    `was_paid`: the booking had been paid (booked with a fee) before the move; then what
    was paid for `old_fee` is kept, and the part the new, lower `new_fee` does not need is
    to be refunded. Unpaid (a hold): the orders opened for `old_fee` are to be closed when
    the fee changed. A subscriber that refunds returns the amount refunded, in fen; it may
    refuse the move with a DomainError (the whole reschedule then rolls back).
    """

    appointment_id: int
    was_paid: bool
    old_fee: int
    new_fee: int
    actor: Actor
