"""Rescheduling (改约): a patient moves a booking to another slot, in one transaction.

The booking keeps its appointment row. Its id, order number, payment orders (and what was
paid), check-in code (signed over the id), operation log and notifications stay with it;
the row gets the new slot, session, doctor, time, place, queue number and fee. What
belonged to the old time is redone: the reminders are planned again, and the no-show risk
is cleared and scored again for the new booking (AppointmentBooked, as for a new one).

The same rules as booking hold for the target slot (services/seat_rules.py),
with the booking being moved never counted against itself: a move within the same session
or the same day is allowed. The old seat goes where a cancel's goes (sold-out flag cleared,
the session's waitlist offered the seat, availability changed).

Money (fen; billing, a higher layer, answers the AppointmentRescheduled event):
- an unpaid hold is moved with its hold deadline; its fee becomes the new one and billing
  closes the orders opened for another amount (a new order is opened for the new fee); a
  hold moved to a free slot is confirmed at once;
- a paid booking moved at the same fee changes nothing in billing; at a lower fee billing
  refunds the difference (a partial refund of kind "reschedule", at the discount the order
  was paid with);
- a paid (or free) booking moved to a dearer slot goes back to pending payment with a new
  hold, as a new booking would; the payment order then opened is for the difference only
  (a top-up: the new fee at the discount the booking was paid with, less what was paid),
  and its payment confirms the booking. If the top-up is not paid in time, the ordinary
  hold expiry cancels the booking and billing refunds what was paid before (the expiry
  publishes AppointmentCancelled like a cancel). Were the difference nothing after
  rounding, billing confirms the booking at once.

Lock order (InnoDB; see also ARCHITECTURE.md "Lock order"):
1. the appointment row by its primary key (transitions.appointment_lock): what a cancel,
   a payment and the hold expiry take first too, so each of them and a reschedule of the
   same booking run one after the other, and the loser sees the winner's commit;
2. the two slot rows, in ascending pk whichever is old or new: the target's seat taken by
   the conditional UPDATE (booked < capacity), the old one given back (booked - 1). Two
   reschedules crossing between the same two slots thus never hold one each;
3. as a booking after its slot: the target session's row (members' early seats), the
   target doctor's row (daily cap), the user row, the person's row;
4. the appointment UPDATE (the move), then billing's order rows (the event's subscriber),
   then the old session's waitlist (a promotion takes a slot of that session, as after a
   cancel).
InnoDB may still pick a deadlock victim where a waitlist promotion crosses a booker (the
same exception a cancel has); the whole attempt is then rolled back and tried again, and
after ATTEMPTS the patient gets 409 slot_busy, never a 500.
"""

import datetime
import logging

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.errors import ErrorCode
from appointments.events import AppointmentBooked, AppointmentRescheduled
from appointments.models import Appointment
from appointments.notifications.messages import local_time_text
from appointments.services.booking import booking_fee, queue_no_free, seat_take
from appointments.services.notify import appointment_notify
from appointments.services.reminder_times import reminders_replan
from appointments.services.seat_rules import (
    already_booked_check,
    seat_checks_under_locks,
    target_slot_check,
)
from appointments.services.transitions import (
    appointment_lock,
    appointment_move,
    seat_give_back,
)
from appointments.services.waitlist import waitlist_promote
from common.errors import Conflict
from common.events import publish
from common.services import Actor
from scheduling.models import BookingRule, Slot
from scheduling.rules import cancel_deadline_at, rule_for_hospital_id
from scheduling.services import availability_changed
from scheduling.soldout import (
    slot_is_known_sold_out,
    slot_mark_sold_out,
)

logger = logging.getLogger(__name__)

S = Appointment.Status

# Attempts of the whole transaction when InnoDB ends one as a deadlock or a lock timeout.
ATTEMPTS = 3
_LOCK_FAILURES = {1205, 1213}  # MySQL: lock wait timeout, deadlock


def _slot_busy() -> Conflict:
    return Conflict(
        ErrorCode.SLOT_BUSY, _("Too many bookings at once; please try again.")
    )


def reschedule_allowed_check(
    *, appointment: Appointment, now: datetime.datetime
) -> BookingRule:
    """Whether this booking may be moved now: holding a seat, not started, not a walk-in,
    an unpaid hold still within its time, and before the patient's cancel deadline (moving
    is allowed only while cancelling is free of any penalty). Returns the hospital's rule.
    """
    if appointment.status not in (S.PENDING_PAYMENT, S.BOOKED) or appointment.walk_in:
        raise Conflict(
            ErrorCode.RESCHEDULE_NOT_ALLOWED,
            _("Only an upcoming booking that is unpaid or booked can be moved."),
        )
    if appointment.status == S.PENDING_PAYMENT and (
        appointment.hold_expires_at is None or appointment.hold_expires_at <= now
    ):
        raise Conflict(
            ErrorCode.RESCHEDULE_NOT_ALLOWED,
            _("The time to pay for this booking has passed."),
        )
    if now >= appointment.visit_starts_at:
        raise Conflict(
            ErrorCode.VISIT_STARTED, _("The visit time has already started.")
        )
    rule = rule_for_hospital_id(appointment.hospital_id)
    deadline = cancel_deadline_at(rule, appointment.visit_starts_at)
    if now >= deadline:
        raise Conflict(
            ErrorCode.RESCHEDULE_DEADLINE_PASSED,
            _("Changes to this booking closed at %(time)s.")
            % {"time": timezone.localtime(deadline).strftime("%m-%d %H:%M")},
        )
    return rule


def reschedule_allowed(
    *, appointment: Appointment, now: datetime.datetime | None = None
) -> bool:
    """Read-only: whether reschedule_allowed_check lets this booking be moved now (the
    portal offers 改约 by it, so the page and the service never disagree)."""
    try:
        reschedule_allowed_check(appointment=appointment, now=now or timezone.now())
    except Conflict:
        return False
    return True


def _target_check(*, appointment: Appointment, slot: Slot) -> None:
    """Where a booking may go: same hospital, same doctor or department, another slot."""
    if slot.pk == appointment.slot_id:
        raise Conflict(
            ErrorCode.RESCHEDULE_SAME_SLOT, _("The booking is already in this slot.")
        )
    doctor = slot.session.doctor
    same_place = slot.session.hospital_id == appointment.hospital_id and (
        doctor.pk == appointment.doctor_id
        or doctor.department_id == appointment.doctor.department_id
    )
    if not same_place:
        raise Conflict(
            ErrorCode.RESCHEDULE_OTHER_DEPARTMENT,
            _(
                "A booking can only be moved to the same doctor or another doctor of "
                "the same department."
            ),
        )


def _new_status(*, appointment: Appointment, new_fee: int) -> tuple[str, bool]:
    """The status after the move, and whether a new hold starts (a top-up)."""
    if appointment.status == S.PENDING_PAYMENT:
        return (S.PENDING_PAYMENT, False) if new_fee > 0 else (S.BOOKED, False)
    if new_fee <= appointment.fee:
        return S.BOOKED, False
    # Dearer: the difference is to be paid (all of it for a free booking), with a new hold
    # as for a new booking; unpaid in time, the ordinary expiry cancels it and billing
    # refunds what was paid before.
    return S.PENDING_PAYMENT, True


def appointment_reschedule(
    *,
    actor: Actor,
    user: User,
    appointment: Appointment,
    slot: Slot,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Move `appointment` (the user's own; the caller checked that) to `slot`.

    Not atomic as a whole, like booking: the refusals that only read run first, outside
    any transaction; then one transaction moves it (see the module docstring for its
    locks), tried again when InnoDB ends it as a deadlock. Returns the moved appointment.
    """
    now = now or timezone.now()
    reschedule_allowed_check(appointment=appointment, now=now)
    _target_check(appointment=appointment, slot=slot)
    _rule, early = target_slot_check(
        user=user,
        profile=appointment.profile,
        slot=slot,
        now=now,
        exclude_appointment_id=appointment.pk,
    )
    if (
        slot_is_known_sold_out(slot_id=slot.pk)
        or not Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).exists()
    ):
        slot_mark_sold_out(slot_id=slot.pk)
        raise Conflict(ErrorCode.SLOT_FULL, _("This time slot is fully booked."))
    nested = transaction.get_connection().in_atomic_block
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _reschedule_in_transaction(
                    actor=actor,
                    user=user,
                    appointment_id=appointment.pk,
                    slot=slot,
                    early=early,
                    now=now,
                )
        except OperationalError as exc:
            if not exc.args or exc.args[0] not in _LOCK_FAILURES:
                raise
            logger.warning(
                "reschedule of appointment %s: %s (attempt %s)",
                appointment.pk,
                exc,
                attempt,
            )
            if nested:  # the caller's transaction was rolled back: it cannot go on
                raise _slot_busy() from exc
    raise _slot_busy()


def _seats_move(
    *,
    old_slot_id: int,
    new_slot_id: int,
    old_session_id: int,
    new_session_id: int,
    profile_id: int,
) -> None:
    """Take the target's seat and give the old one back, locking the two slot rows in
    ascending pk order. The profile leaves the old session's marks in the seat stock only
    when the move leaves that session."""
    moved_out = old_session_id != new_session_id
    for slot_id in sorted((old_slot_id, new_slot_id)):
        if slot_id == new_slot_id:
            if not seat_take(
                slot_id=new_slot_id, session_id=new_session_id, profile_id=profile_id
            ):
                slot_mark_sold_out(slot_id=new_slot_id)
                raise Conflict(
                    ErrorCode.SLOT_FULL, _("This time slot is fully booked.")
                )
        else:
            seat_give_back(
                slot_id=old_slot_id,
                session_id=old_session_id if moved_out else None,
                profile_id=profile_id if moved_out else None,
            )


def _reschedule_in_transaction(
    *,
    actor: Actor,
    user: User,
    appointment_id: int,
    slot: Slot,
    early: bool,
    now: datetime.datetime,
) -> Appointment:
    appointment_lock(appointment_id=appointment_id)
    appointment = Appointment.objects.select_related(
        "profile", "session", "doctor", "slot"
    ).get(pk=appointment_id)
    # What was read before the lock may be stale (a cancel, a payment, another move).
    reschedule_allowed_check(appointment=appointment, now=now)
    _target_check(appointment=appointment, slot=slot)
    session = slot.session
    new_fee = booking_fee(session=session)
    new_status, new_hold = _new_status(appointment=appointment, new_fee=new_fee)
    old = {
        "status": appointment.status,
        "fee": appointment.fee,
        "slot_id": appointment.slot_id,
        "session": appointment.session,
        "doctor_id": appointment.doctor_id,
        "doctor_name": appointment.doctor.name,
        "visit_time": local_time_text(appointment.visit_starts_at),
    }
    rule = rule_for_hospital_id(session.hospital_id)

    _seats_move(
        old_slot_id=appointment.slot_id,
        new_slot_id=slot.pk,
        old_session_id=appointment.session_id,
        new_session_id=slot.session_id,
        profile_id=appointment.profile_id,
    )
    seat_checks_under_locks(
        user=user,
        profile=appointment.profile,
        session=session,
        rule=rule,
        early=early,
        exclude_appointment_id=appointment.pk,
    )
    changes = {
        "status": new_status,
        "slot": slot,
        "session": session,
        "doctor_id": session.doctor_id,
        "queue_no": queue_no_free(slot=slot),
        "fee": new_fee,
        "visit_starts_at": slot.starts_at,
        "visit_ends_at": slot.ends_at,
        "place": session.place,
        "booked_early": early,
        # the no-show risk and its confirm request were about the old time
        "noshow_risk": None,
        "noshow_risk_band": "",
        "noshow_risk_fair": None,
        "noshow_fair_band": "",
        "noshow_model_id": None,
        "confirm_requested_at": None,
        "confirm_deadline": None,
        "confirmed_at": None,
    }
    if new_status == S.BOOKED:
        changes["hold_expires_at"] = None
    elif new_hold:
        changes["hold_expires_at"] = now + datetime.timedelta(minutes=rule.hold_minutes)
    try:
        with transaction.atomic():
            appointment_move(
                actor=actor,
                appointment=appointment,
                from_status=old["status"],
                summary=f"slot {old['slot_id']} -> {slot.pk}, fee {old['fee']} -> "
                f"{new_fee}, {old['status']} -> {new_status}, "
                f"queue={changes['queue_no']}",
                **changes,
            )
    except IntegrityError:
        # the patient's one booking per session, or a queue number taken meanwhile
        already_booked_check(
            profile=appointment.profile,
            session=session,
            exclude_appointment_id=appointment.pk,
        )
        raise _slot_busy() from None

    refunded = publish(
        AppointmentRescheduled(
            appointment_id=appointment.pk,
            was_paid=old["status"] == S.BOOKED and old["fee"] > 0,
            old_fee=old["fee"],
            new_fee=new_fee,
            actor=actor,
        )
    )
    reminders_replan(appointment=appointment, rule=rule, now=now)
    appointment = Appointment.objects.select_related(
        "profile", "doctor__department", "hospital", "slot", "session"
    ).get(pk=appointment.pk)
    top_up = new_hold and old["fee"] > 0
    appointment_notify(
        appointment=appointment,
        event="rescheduled",
        dedupe_key=f"appointment:{appointment.pk}:rescheduled:{slot.pk}:"
        f"{now:%Y%m%d%H%M%S%f}",
        extra_context={
            "old_visit_time": old["visit_time"],
            "old_doctor": old["doctor_name"],
            # a top-up owes the difference, which billing computes: no amount here
            "top_up": "1" if top_up else "",
        },
    )
    publish(AppointmentBooked(appointment_id=appointment.pk))  # scored again
    if refunded:
        logger.info("appointment %s rescheduled, refunded %s", appointment.pk, refunded)
    waitlist_promote(actor=actor, session=old["session"], now=now)
    doctor_ids = {old["doctor_id"], session.doctor_id}
    transaction.on_commit(
        lambda: [availability_changed(doctor_id=pk) for pk in sorted(doctor_ids)]
    )
    return appointment
