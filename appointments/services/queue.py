"""Calling patients on the clinic floor: call next, call again, skip (过号), seen.

    checked_in --call next--> called --seen--> completed
                                |  ^
                          skip  |  | call again (recall)
                                v  |
                              skipped --check in again--> checked_in

Every action locks the session's row first (`select_for_update`): it is the queue's lock,
so two desks pressing "call next" at the same moment take turns and the second one
calls the next patient, never the same one. Then the appointment's status changes by
compare-and-set (services.transitions), which also guards against a cancel or 停诊
meanwhile. Lock order: the session row, then the appointment (停诊 locks the session's
slots and marks the session before it cancels appointments, the same direction).

The first call records when the visit really started (`visit_started_at`); "seen" records
when it ended (`visit_ended_at`) and completes the appointment (visit points as usual).
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.errors import ErrorCode
from appointments.models import Appointment
from appointments.queue import queue_waiting
from appointments.services.lifecycle import appointment_complete
from appointments.services.transitions import appointment_transition
from common.errors import Conflict
from common.services import Actor, operation_log_write
from scheduling.errors import ErrorCode as SchedulingError
from scheduling.models import ClinicSession

S = Appointment.Status


def _session_lock(session_id: int) -> ClinicSession:
    session = ClinicSession.objects.select_for_update().get(pk=session_id)
    if session.status == ClinicSession.Status.STOPPED:
        raise Conflict(
            SchedulingError.SESSION_STOPPED, _("This clinic session has been stopped.")
        )
    return session


def _locked(appointment: Appointment) -> Appointment:
    """Lock the appointment's session, then read the appointment afresh."""
    _session_lock(appointment.session_id)
    return Appointment.objects.select_related("session", "user").get(pk=appointment.pk)


def _call(
    *, actor: Actor, appointment: Appointment, now: datetime.datetime
) -> Appointment:
    changes = {"call_count": appointment.call_count + 1, "last_called_at": now}
    if appointment.visit_started_at is None:
        changes["visit_started_at"] = now
    return appointment_transition(
        actor=actor,
        appointment=appointment,
        to_status=S.CALLED,
        summary=f"{appointment.status} -> called (call {changes['call_count']})",
        **changes,
    )


def queue_call_next(
    *, actor: Actor, session: ClinicSession, now: datetime.datetime | None = None
) -> Appointment:
    """Call the first checked-in patient of the session (appointments.queue's order).

    Raises Conflict queue_empty when nobody is waiting, session_stopped after 停诊.
    """
    with transaction.atomic():
        locked = _session_lock(session.pk)
        # The time is read once the lock is held, so calls are stamped in the order they
        # happened, not in the order the desks pressed the button.
        now = now or timezone.now()
        waiting = queue_waiting(session=locked)
        if not waiting:
            raise Conflict(
                ErrorCode.QUEUE_EMPTY, _("No checked-in patient is waiting.")
            )
        return _call(actor=actor, appointment=waiting[0], now=now)


def queue_recall(
    *, actor: Actor, appointment: Appointment, now: datetime.datetime | None = None
) -> Appointment:
    """Call a called patient again, or call a skipped patient back directly."""
    with transaction.atomic():
        appointment = _locked(appointment)
        now = now or timezone.now()
        if appointment.status == S.SKIPPED:
            return _call(actor=actor, appointment=appointment, now=now)
        if appointment.status != S.CALLED:
            raise Conflict(
                ErrorCode.NOT_CALLED,
                _("Only a called or skipped patient can be called again."),
            )
        count = appointment.call_count + 1
        moved = Appointment.objects.filter(
            pk=appointment.pk, status=S.CALLED, call_count=appointment.call_count
        ).update(call_count=count, last_called_at=now, updated_at=now)
        if moved != 1:  # cannot happen under the session lock; never count twice
            raise Conflict(
                ErrorCode.APPOINTMENT_STATE_CHANGED,
                _("The appointment was changed by someone else; please refresh."),
            )
        appointment.call_count, appointment.last_called_at = count, now
        operation_log_write(
            actor=actor,
            action="appointment.recalled",
            obj=appointment,
            summary=f"call {count}",
        )
        return appointment


def queue_skip(
    *, actor: Actor, appointment: Appointment, now: datetime.datetime | None = None
) -> Appointment:
    """The called patient did not come (过号): they may check in again or be called back."""
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != S.CALLED:
            raise Conflict(
                ErrorCode.NOT_CALLED, _("Only a called patient can be skipped.")
            )
        return appointment_transition(
            actor=actor, appointment=appointment, to_status=S.SKIPPED
        )


def queue_mark_seen(
    *, actor: Actor, appointment: Appointment, now: datetime.datetime | None = None
) -> Appointment:
    """The called patient has been seen: record the visit's end and complete it."""
    with transaction.atomic():
        appointment = _locked(appointment)
        now = now or timezone.now()
        if appointment.status != S.CALLED:
            raise Conflict(
                ErrorCode.NOT_CALLED, _("Only a called patient can be marked as seen.")
            )
        return appointment_complete(
            actor=actor, appointment=appointment, visit_ended_at=now
        )
