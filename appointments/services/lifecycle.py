"""Cancel, stop-clinic, check-in, completion and no-shows."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Appointment
from appointments.services.notify import appointment_notify
from appointments.services.transitions import (
    appointment_cancel_and_release,
    appointment_transition,
)
from appointments.services.waitlist import waitlist_close_for_session, waitlist_promote
from common.errors import Conflict, DomainError
from common.services import Actor, operation_log_write
from scheduling.models import ClinicSession, Slot
from scheduling.rules import (
    cancel_deadline_at,
    checkin_window,
    local_datetime,
    rule_for_hospital_id,
)

S = Appointment.Status


def refund_request(*, actor: Actor, appointment: Appointment, reason: str) -> int:
    """The one refund entry point: billing refunds whatever was paid for this appointment.

    Returns the amount refunded in fen (0 when nothing was paid)."""
    from billing.services import appointment_refund_request

    refund = appointment_refund_request(
        actor=actor, appointment=appointment, reason=reason
    )
    return refund.amount if refund is not None else 0


def orders_settle_later(*, appointment: Appointment) -> None:
    """Close the payment orders a patient opened but did not pay (after commit)."""
    from billing.services import appointment_orders_settle_later

    appointment_orders_settle_later(appointment_id=appointment.pk)


def seat_returned_effects(
    *, actor: Actor, appointment: Appointment, now: datetime.datetime
) -> None:
    from scheduling.services import availability_changed

    waitlist_promote(actor=actor, session=appointment.session, now=now)
    doctor_id = appointment.doctor_id
    transaction.on_commit(lambda: availability_changed(doctor_id=doctor_id))


def late_cancel_check(
    *, appointment: Appointment, deadline: datetime.datetime, now: datetime.datetime
) -> None:
    """After the deadline only members with a late-cancel right may cancel, within their
    monthly quota. The use itself is recorded (under the user's lock) after the cancel."""
    from accounts.selectors import member_late_cancel_allowed

    if not member_late_cancel_allowed(user=appointment.user, now=now):
        raise Conflict(
            "cancel_deadline_passed",
            _("Cancellation closed at %(time)s.")
            % {"time": timezone.localtime(deadline).strftime("%m-%d %H:%M")},
        )


@transaction.atomic
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
    now = now or timezone.now()
    if appointment.status not in (S.PENDING_PAYMENT, S.BOOKED):
        raise Conflict(
            "not_cancellable",
            _("Only upcoming, unvisited appointments can be cancelled."),
        )
    if now >= appointment.visit_starts_at:
        raise Conflict("visit_started", _("The visit time has already started."))
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
        from accounts.members import member_late_cancel_use

        member_late_cancel_use(
            user=appointment.user, appointment_id=appointment.pk, now=now
        )
    if was_paid:
        refund_request(actor=actor, appointment=appointment, reason=f"cancel:{by}")
    else:
        orders_settle_later(appointment=appointment)
    appointment_notify(appointment=appointment, event="cancelled")
    seat_returned_effects(actor=actor, appointment=appointment, now=now)
    return appointment


@dataclass(frozen=True)
class SessionStopResult:
    """What stopping one session did: appointments cancelled, refunds asked, fen refunded."""

    cancelled: int
    refunds: int
    refunded: int


def session_stop_impact(*, session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{session id: (upcoming appointments, paid ones)}: what stopping them would cancel
    and refund, for staff to confirm before they stop. Sessions without any are left out."""
    paid = (S.BOOKED, S.CHECKED_IN)  # as session_stop decides whether to refund
    rows = (
        Appointment.objects.filter(
            session_id__in=session_ids, status__in=Appointment.UPCOMING
        )
        .values("session_id")
        .annotate(upcoming=Count("pk"), paid=Count("pk", filter=Q(status__in=paid)))
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

    Returns how many appointments were cancelled and refunds asked for. The slots are locked first so that no
    booking in flight can commit into the stopped session (booking re-reads the status after
    taking its slot lock).
    """
    from scheduling.services import availability_changed

    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise DomainError(
            "reason_required", _("Give a reason for stopping the session.")
        )
    list(
        Slot.objects.select_for_update()
        .filter(session=session)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    stopped = ClinicSession.objects.filter(
        pk=session.pk, status=ClinicSession.Status.OPEN
    ).update(
        status=ClinicSession.Status.STOPPED, stop_reason=reason[:255], updated_at=now
    )
    if stopped != 1:
        raise Conflict("session_already_stopped", _("This session is already stopped."))
    session.status, session.stop_reason = ClinicSession.Status.STOPPED, reason[:255]
    operation_log_write(actor=actor, action="session.stop", obj=session, summary=reason)

    cancelled = refunds = refunded = 0
    upcoming = (
        session.appointments.select_related("user")
        .filter(status__in=Appointment.UPCOMING)
        .order_by("pk")
    )
    for appointment in upcoming:
        was_paid = appointment.status in (S.BOOKED, S.CHECKED_IN)
        appointment_cancel_and_release(
            actor=actor,
            appointment=appointment,
            cancelled_by=Appointment.CancelledBy.STOP_CLINIC,
            reason=reason,
            now=now,
        )
        if was_paid:
            amount = refund_request(
                actor=actor, appointment=appointment, reason="stop_clinic"
            )
            if amount:
                refunds += 1
                refunded += amount
        else:
            orders_settle_later(appointment=appointment)
        appointment_notify(appointment=appointment, event="stop_clinic")
        cancelled += 1
    waitlist_close_for_session(actor=actor, session=session, reason="stop_clinic")
    doctor_id = session.doctor_id
    transaction.on_commit(lambda: availability_changed(doctor_id=doctor_id))
    return SessionStopResult(cancelled=cancelled, refunds=refunds, refunded=refunded)


@transaction.atomic
def appointment_check_in(
    *,
    actor: Actor,
    appointment: Appointment,
    by_staff: bool,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Check a patient in. Patients may do it in the window before their slot; staff on the day."""
    now = now or timezone.now()
    if appointment.status != S.BOOKED:
        raise Conflict(
            "not_checkable", _("Only a paid, upcoming booking can be checked in.")
        )
    if by_staff:
        if (
            timezone.localdate(now) != timezone.localdate(appointment.visit_starts_at)
            or now >= appointment.visit_ends_at
        ):
            raise Conflict(
                "not_visit_day", _("Check-in is only possible on the day of the visit.")
            )
    else:
        rule = rule_for_hospital_id(appointment.hospital_id)
        opens, closes = checkin_window(
            rule, appointment.visit_starts_at, appointment.visit_ends_at
        )
        if not opens <= now < closes:
            raise Conflict(
                "checkin_window_closed",
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


@transaction.atomic
def appointment_complete(*, actor: Actor, appointment: Appointment) -> Appointment:
    """The visit happened: close the appointment and award the member's visit points."""
    from accounts.members import points_apply

    appointment_transition(actor=actor, appointment=appointment, to_status=S.COMPLETED)
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
    """Mark booked, unchecked appointments of finished sessions as no_show. Idempotent.

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
            for appointment in session.appointments.filter(status=S.BOOKED).order_by(
                "pk"
            ):
                appointment_transition(
                    actor=actor, appointment=appointment, to_status=S.NO_SHOW
                )
                appointment_notify(appointment=appointment, event="no_show")
                marked += 1
    return marked
