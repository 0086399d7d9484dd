"""Book a slot and pay for it.

Book: the slot's page lists the patient's 就诊人 (or sends them to add one first) and
books the API's way: the seat stock first (booking_try_stock, the rush), else the database
path (appointments.services.appointment_book). A seat won in the stock is a booking ticket:
booked in time, the patient goes on as after the database path; still queued, to the
ticket's page (config/portal/views/tickets.py), which waits for the writer. Pay: the
channels this portal can use, an order opened by billing's payment_order_open, then the
channel's own step: the dev gateway's page here (DEBUG or PAYMENTS_DEV_GATEWAY only), or
Alipay's mobile web cashier (alipay.trade.wap.pay), or WeChat Pay's Native payment: a
QR code of the order's code_url that the patient scans with WeChat (a browser outside
WeChat has no WeChat login, which the mini-program's JSAPI payment needs). Orders opened
here are of the scene "web" (billing.models.Scene).

The order pages (dev gateway, WeChat QR) serve any of the patient's orders the portal can
pay: an appointment's, or an online consult's (opened by consult's own service, see
config/portal/views/consults.py); each returns to its payable's page.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from accounts.selectors import (
    patient_profile_get_for_user,
    patient_profile_list_for_user,
)
from appointments import selectors as appointment_selectors
from appointments.models import Appointment
from appointments.services import appointment_book
from appointments.services.stock_booking import (
    UserNotActive,
    booking_try_stock,
    ticket_outcome,
)
from billing import selectors as billing_selectors
from billing.gateways import channels_enabled, dev_gateway_enabled
from billing.models import Channel, PaymentOrder
from billing.services import payment_order_dev_pay
from billing.services.orders import payment_order_open, payment_order_pay_params
from common.errors import NotFound
from common.refusals import Refused, call_service
from common.services import Actor
from config.portal.forms import BookForm, PayForm
from config.portal.gate import patient_page
from config.portal.qr import qr_svg
from scheduling.models import Slot
from scheduling.rules import booking_opens_at
from scheduling.selectors import caller_priority

# The channels a browser outside WeChat can pay with, in the order offered.
PORTAL_CHANNELS = (Channel.ALIPAY, Channel.WECHAT, Channel.DEV)


def portal_channels() -> list[tuple[str, str]]:
    enabled = set(channels_enabled())
    return [(c.value, str(c.label)) for c in PORTAL_CHANNELS if c.value in enabled]


def order_return_url(order: PaymentOrder) -> str:
    """The page of what `order` pays for; 404 for an order the portal cannot pay."""
    if order.kind == PaymentOrder.Kind.APPOINTMENT and order.appointment_id:
        return reverse("portal:appointment", args=[order.appointment_id])
    if order.kind == PaymentOrder.Kind.CONSULT and order.ref_id:
        return reverse("portal:consult", args=[order.ref_id])
    raise NotFound()


def channel_step(*, order: PaymentOrder, channel: str, params: dict) -> HttpResponse:
    """After the order is open: the channel's own step."""
    if channel == Channel.DEV:
        return redirect("portal:dev-pay", order_id=order.pk)
    if channel == Channel.WECHAT:
        return redirect("portal:wechat-pay", order_id=order.pk)
    # Alipay's mobile web cashier; it sends the patient back to ALIPAY_RETURN_URL.
    return redirect(params["pay_url"])


def session_view(slot) -> dict:
    """The slot's session as the doctor's page shows it (release, clinic type)."""
    return {
        "date": slot.session.date,
        "clinic_type_display": slot.session.get_clinic_type_display(),
        "period_display": slot.session.get_period_display(),
        "release_at": slot.session.release_at,
    }


def book_seat(
    request: HttpRequest, *, slot: Slot, profile_id: int
) -> Appointment | int:
    """Book as the API does: the appointment, or the id of a ticket still queued.

    Raises the refusal (the stock's, the writer's or the database path's)."""
    try:
        answer = booking_try_stock(
            user_id=request.user.pk,
            profile_id=profile_id,
            slot_id=slot.pk,
            now=timezone.now(),
        )
    except UserNotActive:
        raise PermissionDenied from None
    if answer is None:  # no stock for this slot (or Redis down): the database path
        profile = patient_profile_get_for_user(user=request.user, profile_id=profile_id)
        return appointment_book(
            actor=Actor.from_request(request),
            user=request.user,
            profile=profile,
            slot=slot,
        )
    outcome = ticket_outcome(answer, load_user=lambda: request.user)
    if outcome.refusal is not None:
        raise outcome.refusal
    return outcome.appointment or outcome.ticket_id


def booked_url(request: HttpRequest, appointment: Appointment) -> str:
    """Where a new booking goes next (the pay page for a hold, else the appointment's
    page), with the message that says it is booked."""
    if appointment.status == Appointment.Status.PENDING_PAYMENT:
        messages.success(
            request,
            _("Booked: No. %(n)s. Please pay before the hold expires.")
            % {"n": appointment.queue_no},
        )
        return reverse("portal:pay", args=[appointment.pk])
    messages.success(request, _("Booked: No. %(n)s.") % {"n": appointment.queue_no})
    return reverse("portal:appointment", args=[appointment.pk])


@never_cache
@require_http_methods(["GET", "POST"])
@patient_page
def book(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = appointment_selectors.slot_get_for_booking(slot_id=slot_id)
    opens = booking_opens_at(
        slot.session.release_at,
        priority_hours=caller_priority(user=request.user).hours,
    )
    opening = {"can_book_from": opens, "bookable_now": timezone.now() >= opens}
    profiles = list(patient_profile_list_for_user(user=request.user))
    form = BookForm(request.POST or None, profiles=profiles)
    status = 200
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise Refused(400)
            booked = call_service(
                form,
                lambda: book_seat(
                    request, slot=slot, profile_id=form.cleaned_data["profile"]
                ),
            )
        except Refused as refused:
            status = refused.status
        else:
            if isinstance(booked, Appointment):
                return redirect(booked_url(request, booked))
            return redirect("portal:booking-ticket", ticket_id=booked)
    return render(
        request,
        "portal/book.html",
        {
            "slot": slot,
            "session": session_view(slot),
            "opening": opening,
            "form": form,
            "profiles": profiles,
            "add_profile_url": reverse("portal:profile-add")
            + "?next="
            + reverse("portal:book", args=[slot.pk]),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@patient_page
def pay(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = appointment_selectors.appointment_get_for_user(
        user=request.user, appointment_id=appointment_id
    )
    if appointment.status != Appointment.Status.PENDING_PAYMENT:
        return redirect("portal:appointment", appointment_id=appointment.pk)
    channels = portal_channels()
    form = PayForm(request.POST or None, channels=channels)
    status = 200
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise Refused(400)
            channel = form.cleaned_data["channel"]
            order = call_service(
                form,
                lambda: payment_order_open(
                    appointment=appointment,
                    channel=channel,
                    actor=Actor.from_request(request),
                    scene=PaymentOrder.Scene.WEB,
                ),
            )
            # After the order's commit, outside any transaction (a channel call may wait).
            params = call_service(form, lambda: payment_order_pay_params(order=order))
        except Refused as refused:
            status = refused.status
        else:
            if params is None:  # paid or closed meanwhile
                return redirect("portal:appointment", appointment_id=appointment.pk)
            return channel_step(order=order, channel=channel, params=params)
    return render(
        request,
        "portal/pay.html",
        {
            "appointment": appointment,
            "form": form,
            "channels": channels,
            # billing's rule: the fee at the discount, less what was paid (a top-up)
            "amount_due": billing_selectors.appointment_amount_due(
                appointment=appointment,
                discount_rate=billing_selectors.discount_rate_for_user(
                    user=request.user
                ),
            ),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@patient_page
def dev_pay(request: HttpRequest, order_id: int) -> HttpResponse:
    """The dev gateway's cashier: one button that pays at once (never in production)."""
    if not dev_gateway_enabled():
        raise Http404
    order = billing_selectors.payment_order_get_for_user(
        user=request.user, order_id=order_id
    )
    if order.channel != Channel.DEV:
        raise NotFound()
    back = order_return_url(order)
    form = PayForm(
        request.POST or None, channels=[(Channel.DEV.value, str(Channel.DEV.label))]
    )
    status = 200
    if request.method == "POST":
        try:
            call_service(
                form,
                lambda: payment_order_dev_pay(
                    order=order, actor=Actor.from_request(request)
                ),
            )
        except Refused as refused:
            status = refused.status
        else:
            messages.success(request, _("Payment received."))
            return redirect(back)
    return render(
        request,
        "portal/dev_pay.html",
        {"order": order, "form": form, "back": back},
        status=status,
    )


@never_cache
@require_safe
@patient_page
def wechat_pay(request: HttpRequest, order_id: int) -> HttpResponse:
    """WeChat Pay Native: the order's QR code, to scan with WeChat. The channel's
    notification marks the order paid; the patient then opens what it paid for."""
    order = billing_selectors.payment_order_get_for_user(
        user=request.user, order_id=order_id
    )
    if order.channel != Channel.WECHAT or order.scene != PaymentOrder.Scene.WEB:
        raise NotFound()
    back = order_return_url(order)
    form = PayForm(None, channels=[])
    try:
        # The code_url is kept on the order: asking again calls WeChat no more.
        params = call_service(form, lambda: payment_order_pay_params(order=order))
    except Refused as refused:
        return render(
            request,
            "portal/wechat_pay.html",
            {"order": order, "form": form, "qr": None, "back": back},
            status=refused.status,
        )
    if params is None:  # paid or closed meanwhile
        return redirect(back)
    qr = qr_svg(params["code_url"], title=_("WeChat Pay QR code"))
    return render(
        request,
        "portal/wechat_pay.html",
        {"order": order, "form": form, "qr": qr, "back": back},
    )
