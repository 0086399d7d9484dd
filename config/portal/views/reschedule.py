"""改约: move one of my bookings to another slot of the same doctor.

Whether a booking may be moved is the service's own rule (appointments.services.
reschedule_allowed_check): the detail page offers 改约 by it, and these pages show its
refusal. The other slots are listed as the doctor's page lists them (browse.
sessions_listing, the same selectors and template). The confirm page shows the old and
the new time and what the move costs, priced by billing's own rule
(billing.selectors.appointment_amount_due at the new fee): the same fee, the difference
refunded, a top-up to pay, or the fee of an unpaid hold. The POST goes through
appointments.services.appointment_reschedule, the API's service; a refusal is shown on
the page with its status and nothing changed. Another user's id answers 404.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from appointments import selectors
from appointments.models import Appointment
from appointments.services import appointment_reschedule, reschedule_allowed_check
from billing.selectors import (
    appointment_amount_due,
    appointment_paid_orders,
    discount_rate_for_user,
)
from common.money import yuan_display
from common.refusals import Refused, call_service
from common.services import Actor
from config.portal.forms import RescheduleForm
from config.portal.gate import patient_page
from config.portal.views.browse import page_or_part, sessions_listing

S = Appointment.Status


def _refusal_form() -> RescheduleForm:
    """A bound form with nothing to fill: a refusal is added to it as on any form."""
    form = RescheduleForm(data={})
    form.is_valid()
    return form


def _allowed(form: RescheduleForm, appointment: Appointment) -> int:
    """200 if the booking may be moved now, else the refusal's status (on `form`)."""
    try:
        call_service(
            form,
            lambda: reschedule_allowed_check(
                appointment=appointment, now=timezone.now()
            ),
        )
    except Refused as refused:
        return refused.status
    return 200


@never_cache
@require_safe
@patient_page
def reschedule_slots(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The doctor's other slots to move to, by date (filtered as on the doctor's page)."""
    appointment = selectors.appointment_get_for_user(
        user=request.user, appointment_id=appointment_id
    )
    form = _refusal_form()
    status = _allowed(form, appointment)
    if status != 200:  # nothing to choose from: the refusal alone, the whole page
        context = {"appointment": appointment, "moving": None, "refusal": form}
        return render(request, "portal/reschedule.html", context, status=status)
    context, valid = sessions_listing(request, appointment.doctor)
    context.update(appointment=appointment, moving=appointment, refusal=form)
    return page_or_part(
        request, "portal/reschedule.html", context, status=200 if valid else 400
    )


def _fee_change(*, request: HttpRequest, appointment: Appointment, new_fee: int):
    """What the move costs, by billing's rule: ("none" | "refund" | "top_up" |
    "to_pay", fen)."""
    due = appointment_amount_due(
        appointment=appointment,
        discount_rate=discount_rate_for_user(user=request.user),
        fee=new_fee,
    )
    if due < 0:
        # Paid more than the new fee (booked, or awaiting a top-up it no longer needs).
        return "refund", -due
    if due > 0:
        paid = appointment_paid_orders(appointment_id=appointment.pk)
        return ("top_up" if paid else "to_pay"), due
    return "none", 0


def _moved_message(*, request: HttpRequest, moved: Appointment, change) -> str:
    time = timezone.localtime(moved.visit_starts_at).strftime("%Y-%m-%d %H:%M")
    # Still (or again) awaiting payment: what is owed now, by the same rule.
    owed, due = _fee_change(request=request, appointment=moved, new_fee=moved.fee)
    if moved.status == S.PENDING_PAYMENT and owed in ("top_up", "to_pay"):
        text = (
            _(
                "Moved to %(time)s. Please pay the difference of %(amount)s before "
                "%(deadline)s."
            )
            if owed == "top_up"
            else _("Moved to %(time)s. Please pay %(amount)s before %(deadline)s.")
        )
        deadline = timezone.localtime(moved.hold_expires_at).strftime("%m-%d %H:%M")
        return text % {
            "time": time,
            "amount": yuan_display(due),
            "deadline": deadline,
        }
    kind, amount = change
    if kind == "refund":
        return _(
            "Moved to %(time)s. The difference of %(amount)s is refunded to where it "
            "was paid from."
        ) % {"time": time, "amount": yuan_display(amount)}
    return _("Moved to %(time)s.") % {"time": time}


@never_cache
@require_http_methods(["GET", "POST"])
@patient_page
def reschedule_confirm(
    request: HttpRequest, appointment_id: int, slot_id: int
) -> HttpResponse:
    """The old and the new time and the fee difference; POST moves the booking."""
    appointment = selectors.appointment_get_for_user(
        user=request.user, appointment_id=appointment_id
    )
    slot = selectors.slot_get_for_booking(slot_id=slot_id)
    form = _refusal_form()
    status = _allowed(form, appointment)
    if request.method == "POST" and status == 200:
        change = _fee_change(
            request=request, appointment=appointment, new_fee=slot.session.fee
        )
        try:
            moved = call_service(
                form,
                lambda: appointment_reschedule(
                    actor=Actor.from_request(request),
                    user=request.user,
                    appointment=appointment,
                    slot=slot,
                ),
            )
        except Refused as refused:
            status = refused.status
            appointment.refresh_from_db()
        else:
            messages.success(
                request, _moved_message(request=request, moved=moved, change=change)
            )
            return redirect("portal:appointment", appointment_id=moved.pk)
    kind, amount = _fee_change(
        request=request, appointment=appointment, new_fee=slot.session.fee
    )
    return render(
        request,
        "portal/reschedule_confirm.html",
        {
            "appointment": appointment,
            "slot": slot,
            "form": form,
            "can_move": status == 200,
            "change": kind,
            "amount": amount,
        },
        status=status,
    )
