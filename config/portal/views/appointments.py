"""My appointments: the list, one appointment (check-in QR code, payment, refunds), cancel.

Every id goes through appointments.selectors.appointment_get_for_user: another user's
appointment answers 404. Cancel is appointments.services.appointment_cancel, the API's;
billing refunds what was paid in the same transaction (AppointmentCancelled), and the
page then shows the refund: its amount and its status.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from appointments import selectors
from appointments.checkin_code import checkin_code_issue, checkin_code_svg
from appointments.models import Appointment
from appointments.services import appointment_cancel, reschedule_allowed
from billing.selectors import (
    appointment_amount_due,
    discount_rate_for_user,
    payment_order_list_for_appointment,
)
from common.refusals import Refused, call_service
from common.services import Actor
from config.portal.forms import CancelForm
from config.portal.gate import patient_page

S = Appointment.Status
# What the patient can still cancel (the service decides the deadline).
CANCELLABLE = (S.PENDING_PAYMENT, S.BOOKED)
# A paid booking not checked in yet: the desk scans its code.
CHECKABLE = (S.BOOKED, S.SKIPPED)


@never_cache
@require_safe
@patient_page
def appointment_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.appointment_list_for_user(user=request.user), 20)
    return render(
        request,
        "portal/appointments.html",
        {"page": page.get_page(request.GET.get("page"))},
    )


def _detail(
    request: HttpRequest, appointment: Appointment, form: CancelForm, status=200
):
    checkin = None
    if appointment.status in CHECKABLE:
        code = checkin_code_issue(appointment=appointment)
        checkin = {
            "svg": checkin_code_svg(code.token, title=_("Check-in QR code")),
            "valid_from": code.valid_from,
            "expires_at": code.expires_at,
        }
    orders = list(
        payment_order_list_for_appointment(
            user=request.user, appointment_id=appointment.pk
        )
    )
    can_pay = appointment.status == S.PENDING_PAYMENT
    return render(
        request,
        "portal/appointment.html",
        {
            "appointment": appointment,
            "checkin": checkin,
            "orders": orders,
            "refunds": [refund for order in orders for refund in order.refunds.all()],
            "can_pay": can_pay,
            # What an order opened now would ask (a top-up after a move: the difference).
            "amount_due": appointment_amount_due(
                appointment=appointment,
                discount_rate=discount_rate_for_user(user=request.user),
            )
            if can_pay
            else None,
            "can_cancel": appointment.status in CANCELLABLE,
            "can_reschedule": reschedule_allowed(appointment=appointment),
            "form": form,
        },
        status=status,
    )


@never_cache
@require_safe
@patient_page
def appointment_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get_for_user(
        user=request.user, appointment_id=appointment_id
    )
    return _detail(request, appointment, CancelForm())


@require_POST
@patient_page
def appointment_cancel_view(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get_for_user(
        user=request.user, appointment_id=appointment_id
    )
    form = CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise Refused(400)
        call_service(
            form,
            lambda: appointment_cancel(
                actor=Actor.from_request(request),
                appointment=appointment,
                by=Appointment.CancelledBy.PATIENT,
                reason=form.cleaned_data["reason"],
            ),
        )
    except Refused as refused:
        appointment.refresh_from_db()
        return _detail(request, appointment, form, status=refused.status)
    messages.success(request, _("The appointment was cancelled."))
    return redirect("portal:appointment", appointment_id=appointment.pk)
