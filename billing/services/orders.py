"""Payment orders: open one, hand out what the client pays with, close it, and settle
an appointment's or a payable's orders with their channel later.

An order becomes paid in billing.services.payments (payment_order_mark_paid).
"""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.models import Appointment
from billing.errors import ErrorCode
from billing.events import OrderToSettle
from billing.gateways import channel_is_enabled, gateway_for
from billing.models import Channel, PaymentOrder
from billing.payables import order_payable_lock, payable_handler
from billing.selectors import appointment_amount_due, discount_rate_for_user
from common.errors import Conflict, Unprocessable
from common.events import publish
from common.services import Actor, operation_log_write

OrderStatus = PaymentOrder.Status


def _order_description(order: PaymentOrder) -> str:
    if order.appointment_id is None:
        return payable_handler(order.kind).description(order.ref_id)
    appointment = order.appointment
    return _("%(hospital)s %(doctor)s registration fee") % {
        "hospital": appointment.hospital.name,
        "doctor": appointment.doctor.name,
    }


def out_trade_no_new() -> str:
    """ "P" + local time to the second + 10 random hex digits: 25 characters, unique."""
    return f"P{timezone.localtime():%Y%m%d%H%M%S}{secrets.token_hex(5).upper()}"


def payment_order_open(
    *,
    appointment: Appointment,
    channel: str,
    actor: Actor,
    scene: str = PaymentOrder.Scene.MINIPROGRAM,
) -> PaymentOrder:
    """The open order for `appointment` and `channel`, created if there is none.

    Refused (409) unless the appointment is pending payment within its hold. The amount is
    the appointment's fee after the payer's member discount, in whole fen (half up).
    `scene` is where the patient pays (PaymentOrder.Scene): for WeChat Pay the mini-program
    (JSAPI, needs the WeChat login) or a web page (Native QR code). An open order of the
    channel started in the other scene is not reused (its prepay cannot serve here):
    refused with order_open_elsewhere (409) until it is paid or closed.
    """
    with transaction.atomic():
        _channel_check(channel=channel, scene=scene)
        # Serialises order requests and payments for one appointment (see the lock order above).
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("user")
            .get(pk=appointment.pk)
        )
        if appointment.status != Appointment.Status.PENDING_PAYMENT:
            raise Conflict(
                ErrorCode.APPOINTMENT_NOT_PAYABLE,
                _("This appointment is not awaiting payment."),
            )
        if (
            appointment.hold_expires_at is None
            or appointment.hold_expires_at <= timezone.now()
        ):
            raise Conflict(
                ErrorCode.PAYMENT_TIME_EXPIRED,
                _("The time to pay for this appointment has passed."),
            )
        _wechat_login_check(channel=channel, scene=scene, user=appointment.user)
        existing = PaymentOrder.objects.filter(
            appointment=appointment, channel=channel, status=OrderStatus.CREATED
        ).first()
        if existing is not None and existing.original_amount != appointment.fee:
            # Opened before the booking was moved to a slot of another fee: being closed
            # at its channel (AppointmentRescheduled); a new one follows once it is.
            raise Conflict(
                ErrorCode.ORDER_OUTDATED,
                _(
                    "The previous payment order is being closed; please try again in "
                    "a moment."
                ),
            )
        if existing is not None:
            _scene_check(order=existing, scene=scene)
            return existing

        # What is due: the fee at the member discount, less what was paid already (a paid
        # booking moved to a dearer slot pays the difference: a top-up order).
        rate = discount_rate_for_user(user=appointment.user)
        amount = appointment_amount_due(appointment=appointment, discount_rate=rate)
        if amount < 1:
            raise Conflict(
                ErrorCode.NOTHING_TO_PAY,
                _("There is nothing to pay for this appointment."),
            )
        order = PaymentOrder(
            appointment=appointment,
            hospital_id=appointment.hospital_id,
            user=appointment.user,
            channel=channel,
            scene=scene,
            out_trade_no=out_trade_no_new(),
            original_amount=appointment.fee,
            amount=amount,
        )
        order.full_clean()
        order.save()
        operation_log_write(
            actor=actor,
            action="billing.order_create",
            obj=order,
            summary=f"{channel} {amount} fen (fee {appointment.fee}, rate {rate}) "
            f"appointment={appointment.pk}",
        )
        return order


def _channel_check(*, channel: str, scene: str) -> None:
    if channel not in Channel.values:
        raise Unprocessable(ErrorCode.UNKNOWN_CHANNEL, _("Unknown payment channel."))
    if scene not in PaymentOrder.Scene.values:
        raise Unprocessable(ErrorCode.UNKNOWN_SCENE, _("Unknown payment scene."))
    if not channel_is_enabled(channel):
        raise Unprocessable(
            ErrorCode.CHANNEL_NOT_AVAILABLE,
            _("This payment method is not available."),
        )


def _wechat_login_check(*, channel: str, scene: str, user: User) -> None:
    if (
        channel == Channel.WECHAT
        and scene == PaymentOrder.Scene.MINIPROGRAM
        and not user.wechat_openid
    ):
        raise Unprocessable(
            ErrorCode.WECHAT_LOGIN_REQUIRED,
            _("Log in with WeChat to pay with WeChat Pay."),
        )


def _scene_check(*, order: PaymentOrder, scene: str) -> None:
    """An open WeChat Pay order started in the other scene cannot serve this one."""
    if order.channel == Channel.WECHAT and order.scene != scene:
        raise Conflict(
            ErrorCode.ORDER_OPEN_ELSEWHERE,
            _(
                "A WeChat Pay payment for this appointment was started "
                "elsewhere: finish it there, or choose another payment method."
            ),
        )


def payable_order_open(
    *,
    kind: str,
    ref_id: int,
    channel: str,
    actor: Actor,
    scene: str = PaymentOrder.Scene.MINIPROGRAM,
) -> PaymentOrder:
    """The open order for a higher app's payable (billing.payables) and `channel`,
    created if there is none.

    As payment_order_open, with the payable's handler in the appointment's place: its row
    is locked first, and its own error (409) refuses a payable that cannot be paid now.
    The amount is the payable's, without a member discount.
    """
    with transaction.atomic():
        _channel_check(channel=channel, scene=scene)
        handler = payable_handler(kind)
        handler.lock(ref_id)
        payable = handler.payable(ref_id)
        user = User.objects.get(pk=payable.user_id)
        _wechat_login_check(channel=channel, scene=scene, user=user)
        existing = PaymentOrder.objects.filter(
            kind=kind, ref_id=ref_id, channel=channel, status=OrderStatus.CREATED
        ).first()
        if existing is not None:
            _scene_check(order=existing, scene=scene)
            return existing
        if payable.amount < 1:
            raise Conflict(ErrorCode.NOTHING_TO_PAY, _("There is nothing to pay."))
        order = PaymentOrder(
            kind=kind,
            ref_id=ref_id,
            hospital_id=payable.hospital_id,
            user=user,
            channel=channel,
            scene=scene,
            out_trade_no=out_trade_no_new(),
            original_amount=payable.amount,
            amount=payable.amount,
        )
        order.full_clean()
        order.save()
        operation_log_write(
            actor=actor,
            action="billing.order_create",
            obj=order,
            summary=f"{channel} {payable.amount} fen {kind}={ref_id}",
        )
        return order


def payment_order_pay_params(*, order: PaymentOrder) -> dict | None:
    """What the client pays `order` with; None once the order is no longer payable.

    Not atomic on purpose: WeChat's prepay is a network call, made after the order row was
    committed. A failed call leaves the order open; asking again reuses it.
    """
    order = PaymentOrder.objects.select_related(
        "appointment", "appointment__hospital", "appointment__doctor", "user"
    ).get(pk=order.pk)
    if order.status != OrderStatus.CREATED:
        return None
    gateway = gateway_for(order.channel)
    description = _order_description(order)
    prepay_id = order.prepay_id
    if not prepay_id:
        prepay_id = gateway.prepay(order, description=description)
        if prepay_id:
            _order_prepay_id_set(order=order, prepay_id=prepay_id)
    return gateway.pay_params(order, description=description, prepay_id=prepay_id)


def _order_prepay_id_set(*, order: PaymentOrder, prepay_id: str) -> None:
    with transaction.atomic():
        PaymentOrder.objects.filter(pk=order.pk, prepay_id="").update(
            prepay_id=prepay_id, updated_at=timezone.now()
        )
        order.prepay_id = prepay_id


def payment_order_close(*, order: PaymentOrder, actor: Actor, reason: str) -> bool:
    """Mark an unpaid order closed here (the channel side is the caller's business).

    Takes the appointment's (or payable's) row first, as a payment does (appointment, then
    order): the UPDATE re-checks the order's foreign key to the appointment (a shared lock
    on its row), which would otherwise deadlock with a payment of the same order holding
    that row."""
    with transaction.atomic():
        order_payable_lock(order=order)
        closed = PaymentOrder.objects.filter(
            pk=order.pk, status=OrderStatus.CREATED
        ).update(
            status=OrderStatus.CLOSED,
            is_open=None,
            closed_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if closed != 1:
            return False
        order.refresh_from_db()
        operation_log_write(
            actor=actor, action="billing.order_close", obj=order, summary=reason
        )
        return True


def payable_orders_settle_later(*, kind: str, ref_id: int) -> None:
    """After commit, settle every open order of a higher app's payable with its channel
    (paid meanwhile: recorded, then refunded by the owner's refusal; else closed). The
    owner calls it when the payable stops waiting for payment (cancelled, withdrawn)."""
    open_orders = list(
        PaymentOrder.objects.filter(
            kind=kind, ref_id=ref_id, status=OrderStatus.CREATED
        ).values_list("pk", flat=True)
    )
    for order_id in open_orders:
        publish(OrderToSettle(order_id=order_id))


def order_siblings_close_later(*, order: PaymentOrder) -> None:
    """Close the appointment's other open orders (another channel) so nobody pays twice."""
    appointment_orders_settle_later(appointment_id=order.appointment_id)


def appointment_orders_settle_later(*, appointment_id: int) -> None:
    """After commit, settle every open order of the appointment with its channel.

    Called when an appointment stops waiting for payment (cancelled, or paid through
    another order): a payment that raced us is recorded (then refunded), the rest closed.
    """
    open_orders = list(
        PaymentOrder.objects.filter(
            appointment_id=appointment_id, status=OrderStatus.CREATED
        ).values_list("pk", flat=True)
    )
    for order_id in open_orders:
        publish(OrderToSettle(order_id=order_id))
