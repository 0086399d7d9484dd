"""The workspace's session pages: my sessions, a session's queue, the calling buttons.

Every page goes through gate.clinic_page; every id through the appointments selectors the
workspace API uses (another doctor's session, another hospital's: 404). The buttons are
POST forms that call the queue services and come back to the queue (POST, redirect, GET);
a refused action (common.errors.DomainError) is shown as a message, never a 500.
"""

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import user_is_doctor
from appointments import selectors
from appointments.models import Appointment
from appointments.services import queue as queue_services
from appointments.workspace import session_queue
from common.errors import DomainError
from common.services import Actor
from records.workspace.gate import clinic_page
from records.workspace.selectors import patient_names, sessions_for_page

S = Appointment.Status
# Whose record the doctor may open from the queue: in the room now, waiting, or seen.
RECORD_STATUSES = (S.CHECKED_IN, S.CALLED, S.COMPLETED)


@never_cache
@require_GET
@clinic_page
def session_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    week = list(
        sessions_for_page(
            user=request.user,
            date_from=monday,
            date_to=monday + datetime.timedelta(days=6),
        )
    )
    return render(
        request,
        "workspace/sessions.html",
        {
            "today": today,
            "today_sessions": [s for s in week if s.date == today],
            "week_sessions": week,
        },
    )


@never_cache
@require_GET
@clinic_page
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_get_for_clinic_user(
        user=request.user, session_id=session_id
    )
    names = patient_names(session=session)
    doctor = user_is_doctor(request.user)
    rows = [
        {
            "entry": entry,
            "name": names.get(entry.appointment_id, entry.patient_name),
            "can_recall": entry.status in (S.CALLED, S.SKIPPED),
            "can_skip": entry.status == S.CALLED,
            "can_mark_seen": entry.status == S.CALLED,
            "can_write": doctor and entry.status in RECORD_STATUSES,
        }
        for entry in session_queue(session=session)
    ]
    return render(
        request,
        "workspace/session.html",
        {"session": session, "rows": rows, "waiting": _count(rows, S.CHECKED_IN)},
    )


def _count(rows: list[dict], status: str) -> int:
    return sum(1 for row in rows if row["entry"].status == status)


def _act(request: HttpRequest, session_id: int, action: Callable[[], object]):
    try:
        action()
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("workspace:session", session_id=session_id)


@require_POST
@clinic_page
def call_next(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_get_for_clinic_user(
        user=request.user, session_id=session_id
    )

    def action():
        called = queue_services.queue_call_next(
            actor=Actor.from_request(request), session=session
        )
        messages.success(request, _("Called No. %(n)s.") % {"n": called.queue_no})

    return _act(request, session.pk, action)


def _appointment_action(service, done):
    @require_POST
    @clinic_page
    def view(request: HttpRequest, appointment_id: int) -> HttpResponse:
        appointment = selectors.appointment_get_for_clinic_user(
            user=request.user, appointment_id=appointment_id
        )

        def action():
            service(actor=Actor.from_request(request), appointment=appointment)
            messages.success(request, done % {"n": appointment.queue_no})

        return _act(request, appointment.session_id, action)

    return view


recall = _appointment_action(
    queue_services.queue_recall, gettext_lazy("Called No. %(n)s again.")
)
skip = _appointment_action(
    queue_services.queue_skip, gettext_lazy("No. %(n)s missed the call (skipped).")
)
mark_seen = _appointment_action(
    queue_services.queue_mark_seen, gettext_lazy("No. %(n)s has been seen.")
)
