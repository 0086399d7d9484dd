"""Cancel, check-in, completion and no-shows (stopping a whole session: stopping.py)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.members import member_late_cancel_use, points_apply
from accounts.selectors import member_late_cancel_allowed
from appointments.errors import ErrorCode
from appointments.events import AppointmentCancelled
from appointments.ledger.services import ledger_entry_record
from appointments.models import Appointment, LedgerKind
from appointments.services.notify import appointment_notify
from appointments.services.transitions import (
    MOVED_FIELDS,
    appointment_cancel_and_release,
    appointment_lock,
    appointment_transition,
)
from appointments.services.waitlist import waitlist_promote
from common.errors import Conflict
from common.events import publish
from common.services import Actor
from scheduling.models import ClinicSession
from scheduling.rules import (
    cancel_deadline_at,
    checkin_window,
    local_datetime,
    rule_for_hospital_id,
)
from scheduling.services import availability_changed

S = Appointment.Status


def appointment_cancelled_publish(
    *, actor: Actor, appointment: Appointment, was_paid: bool, refund_reason: str
) -> int:
    """Tell billing (through AppointmentCancelled) to refund what was paid, or close the
    orders opened but not paid. Returns the amount refunded, in fen."""
    refunded = publish(
        AppointmentCancelled(
            appointment_id=appointment.pk,
            was_paid=was_paid,
            refund_reason=refund_reason,
            actor=actor,
        )
    )
    return sum(amount for amount in refunded if isinstance(amount, int))


def seat_returned_effects(
    *, actor: Actor, appointment: Appointment, now: datetime.datetime
) -> None:
    waitlist_promote(actor=actor, session=appointment.session, now=now)
    doctor_id = appointment.doctor_id
    transaction.on_commit(lambda: availability_changed(doctor_id=doctor_id))


def late_cancel_check(
    *, appointment: Appointment, deadline: datetime.datetime, now: datetime.datetime
) -> None:
    """After the deadline only members with a late-cancel right may cancel, within their
    monthly quota. The use itself is recorded (under the user's lock) after the cancel."""
    if not member_late_cancel_allowed(user=appointment.user, now=now):
        raise Conflict(
            ErrorCode.CANCEL_DEADLINE_PASSED,
            _("Cancellation closed at %(time)s.")
            % {"time": timezone.localtime(deadline).strftime("%m-%d %H:%M")},
        )


def appointment_cancel(
    *,
    actor: Actor,
    appointment: Appointment,
    by: str = Appointment.CancelledBy.PATIENT,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Appointment:
    """Cancel an upcoming appointment, return its seat, refund what was paid, notify.

    Patients must cancel before the hospital's deadline; staff may cancel until the visit.
    """
    with transaction.atomic():
        now = now or timezone.now()
        # the row first, as a payment and a reschedule take it (transitions.appointment_lock),
        # then read where it is again: a reschedule that committed meanwhile moved it to
        # another slot (same status), whose seat is the one to give back. The status stays
        # the caller's: a stale one loses the compare-and-set (appointment_state_changed).
        appointment_lock(appointment_id=appointment.pk)
        appointment.refresh_from_db(fields=MOVED_FIELDS)
        if appointment.status not in (S.PENDING_PAYMENT, S.BOOKED):
            raise Conflict(
                ErrorCode.NOT_CANCELLABLE,
                _("Only upcoming, unvisited appointments can be cancelled."),
            )
        if now >= appointment.visit_starts_at:
            raise Conflict(
                ErrorCode.VISIT_STARTED, _("The visit time has already started.")
            )
        is_late = False
        if by == Appointment.CancelledBy.PATIENT:
            rule = rule_for_hospital_id(appointment.hospital_id)
            deadline = cancel_deadline_at(rule, appointment.visit_starts_at)
            is_late = now >= deadline
            if is_late:
                late_cancel_check(appointment=appointment, deadline=deadline, now=now)
        was_paid = appointment.status == S.BOOKED
        appointment_cancel_and_release(
            actor=actor,
            appointment=appointment,
            cancelled_by=by,
            reason=reason or by,
            now=now,
        )
        if is_late:
            # The user row is locked last, as booking and payment do: no lock-order deadlock.
            member_late_cancel_use(
                user=appointment.user, appointment_id=appointment.pk, now=now
            )
            # the no-show ledger counts it when the hospital has a late-cancel rule
            ledger_entry_record(
                actor=actor,
                appointment=appointment,
                kind=LedgerKind.LATE_CANCEL,
                now=now,
            )
        appointment_cancelled_publish(
            actor=actor,
            appointment=appointment,
            was_paid=was_paid,
            refund_reason=f"cancel:{by}",
        )
        appointment_notify(
            appointment=appointment,
            # a release by the no-show rule (services/noshow_release.py) says why
            event="unconfirmed_released"
            if by == Appointment.CancelledBy.UNCONFIRMED
            else "cancelled",
        )
        seat_returned_effects(actor=actor, appointment=appointment, now=now)
        return appointment


def appointment_check_in(
    *,
    actor: Actor,
    appointment: Appointment,
    by_staff: bool,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Check a patient in. Patients may do it in the window before their slot; staff on the day.

    A patient skipped at the call (过号) may check in again, with the same rules: they
    join the queue again at their queue number.
    """
    with transaction.atomic():
        now = now or timezone.now()
        if appointment.status not in (S.BOOKED, S.SKIPPED):
            raise Conflict(
                ErrorCode.NOT_CHECKABLE,
                _("Only a paid, upcoming booking can be checked in."),
            )
        if by_staff:
            if (
                timezone.localdate(now)
                != timezone.localdate(appointment.visit_starts_at)
                or now >= appointment.visit_ends_at
            ):
                raise Conflict(
                    ErrorCode.NOT_VISIT_DAY,
                    _("Check-in is only possible on the day of the visit."),
                )
        else:
            rule = rule_for_hospital_id(appointment.hospital_id)
            opens, closes = checkin_window(
                rule, appointment.visit_starts_at, appointment.visit_ends_at
            )
            if not opens <= now < closes:
                raise Conflict(
                    ErrorCode.CHECKIN_WINDOW_CLOSED,
                    _("Check-in opens at %(time)s and closes when the time slot ends.")
                    % {"time": timezone.localtime(opens).strftime("%H:%M")},
                )
        appointment_transition(
            actor=actor,
            appointment=appointment,
            to_status=S.CHECKED_IN,
            checked_in_at=now,
            summary="checked in by staff" if by_staff else "checked in by patient",
        )
        appointment_notify(appointment=appointment, event="checked_in")
        return appointment


def appointment_complete(
    *, actor: Actor, appointment: Appointment, **changes
) -> Appointment:
    """The visit happened: close the appointment and award the member's visit points.

    `changes` are written with the status (the clinic floor's visit end time)."""
    with transaction.atomic():
        appointment_transition(
            actor=actor, appointment=appointment, to_status=S.COMPLETED, **changes
        )
        points_apply(
            user=appointment.user,
            delta=settings.POINTS_PER_COMPLETED_VISIT,
            reason=_("Visit completed"),
            source_type="appointment_completed",
            source_id=str(appointment.pk),
            actor=actor,
        )
        return appointment


def session_ends_at(session: ClinicSession) -> datetime.datetime:
    return local_datetime(session.date, session.end_time)


def sessions_mark_no_shows(
    *, actor: Actor, now: datetime.datetime | None = None
) -> int:
    """Mark booked, unchecked (or skipped) appointments of finished sessions as no_show.
    Idempotent.

    Each session is handled in its own transaction, so one bad row does not hold up the rest.
    Returns the number of appointments marked.
    """
    now = now or timezone.now()
    marked = 0
    candidates = ClinicSession.objects.filter(
        no_shows_marked_at__isnull=True, date__lte=timezone.localdate(now)
    )
    for session in candidates.order_by("date", "pk"):
        if session_ends_at(session) > now:
            continue
        with transaction.atomic():
            claimed = ClinicSession.objects.filter(
                pk=session.pk, no_shows_marked_at__isnull=True
            ).update(no_shows_marked_at=now)
            if not claimed:
                continue  # another worker took this session
            # A patient skipped at the call (过号) who never came back missed it too.
            absent = session.appointments.filter(status__in=(S.BOOKED, S.SKIPPED))
            for appointment in absent.order_by("pk"):
                appointment_transition(
                    actor=actor, appointment=appointment, to_status=S.NO_SHOW
                )
                ledger_entry_record(
                    actor=actor,
                    appointment=appointment,
                    kind=LedgerKind.NO_SHOW,
                    now=now,
                )
                appointment_notify(appointment=appointment, event="no_show")
                marked += 1
    return marked
