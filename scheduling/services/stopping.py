"""Marking a session stopped (停诊): the schedule's half of stopping a clinic.

appointments.services.stopping drives the whole stop: it calls this first, then cancels
the session's appointments (which refunds them through billing's subscription).
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import Conflict, DomainError
from common.services import Actor, operation_log_write
from scheduling.errors import ErrorCode
from scheduling.models import ClinicSession, Slot
from scheduling.services.availability import _availability_changed_on_commit


@transaction.atomic
def session_mark_stopped(
    *,
    actor: Actor,
    session: ClinicSession,
    reason: str,
    now: datetime.datetime | None = None,
) -> ClinicSession:
    """Stop `session` for bookings. Raises DomainError without a reason, Conflict if stopped.

    Locks the session's slots first (in pk order, as booking takes them), so no booking in
    flight can commit into the stopped session: booking re-reads the status after taking
    its slot lock. The caller's transaction keeps the locks until it commits.
    """
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise DomainError(
            ErrorCode.REASON_REQUIRED, _("Give a reason for stopping the session.")
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
        raise Conflict(
            ErrorCode.SESSION_ALREADY_STOPPED, _("This session is already stopped.")
        )
    session.status, session.stop_reason = ClinicSession.Status.STOPPED, reason[:255]
    operation_log_write(actor=actor, action="session.stop", obj=session, summary=reason)
    _availability_changed_on_commit([session.doctor_id])
    return session
