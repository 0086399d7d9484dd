"""A doctor's request to stop a session (停诊) or to take leave for it (请假), and the
staff's decision in the admin. Approval runs the stop-clinic flow (services/stopping.py):
appointments cancelled, refunds asked, patients told, the waitlist closed."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.errors import ErrorCode
from appointments.models import SessionStopRequest
from appointments.services.stopping import SessionStopResult, session_stop
from common.errors import Conflict
from common.services import Actor, operation_log_write
from scheduling.errors import ErrorCode as SchedulingError
from scheduling.models import ClinicSession

R = SessionStopRequest.Status


def stop_request_create(
    *, actor: Actor, session: ClinicSession, kind: str, reason: str
) -> SessionStopRequest:
    """Record the request; one open request per session (Conflict stop_request_open)."""
    reason = (reason or "").strip()
    if session.status != ClinicSession.Status.OPEN:
        raise Conflict(
            SchedulingError.SESSION_STOPPED, _("This clinic session has been stopped.")
        )
    request = SessionStopRequest(
        session=session,
        hospital_id=session.hospital_id,
        requested_by=actor.user,
        kind=kind,
        reason=reason,
    )
    request.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            request.save(force_insert=True)
            operation_log_write(
                actor=actor,
                action="session.stop_request",
                obj=request,
                summary=f"{kind} session={session.pk}: {reason}",
            )
    except IntegrityError:
        raise Conflict(
            ErrorCode.STOP_REQUEST_OPEN,
            _("This session already has a request waiting for a decision."),
        ) from None
    return request


def _decide(
    *, actor: Actor, request: SessionStopRequest, to: str, note: str, now
) -> SessionStopRequest:
    moved = SessionStopRequest.objects.filter(pk=request.pk, status=R.PENDING).update(
        status=to,
        is_open=None,
        decided_by=actor.user,
        decided_at=now,
        decision_note=note[:255],
        updated_at=now,
    )
    if moved != 1:
        raise Conflict(
            ErrorCode.STOP_REQUEST_DECIDED,
            _("This request has already been decided."),
        )
    request.refresh_from_db()
    operation_log_write(
        actor=actor,
        action=f"session.stop_request_{to}",
        obj=request,
        summary=note[:255],
    )
    return request


def stop_request_approve(
    *,
    actor: Actor,
    request: SessionStopRequest,
    note: str = "",
    now: datetime.datetime | None = None,
) -> SessionStopResult:
    """Approve and stop the session (all or nothing: a failing stop keeps the request
    pending)."""
    with transaction.atomic():
        now = now or timezone.now()
        request = _decide(
            actor=actor, request=request, to=R.APPROVED, note=note, now=now
        )
        label = SessionStopRequest.Kind(request.kind).label
        return session_stop(
            actor=actor,
            session=request.session,
            reason=f"{label}: {request.reason}",
            now=now,
        )


def stop_request_reject(
    *,
    actor: Actor,
    request: SessionStopRequest,
    note: str = "",
    now: datetime.datetime | None = None,
) -> SessionStopRequest:
    with transaction.atomic():
        return _decide(
            actor=actor,
            request=request,
            to=R.REJECTED,
            note=(note or "").strip(),
            now=now or timezone.now(),
        )
