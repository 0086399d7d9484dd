"""Billing services: payment orders, payment confirmation, refunds.

Every write to billing goes through here. Two rules shape the module:

- Network calls to a channel never run inside a database transaction. Functions that talk
  to a channel (payment_order_pay_params, payment_settle_before_expiry, order_settle,
  refund_submit, refund_sync) are therefore not atomic themselves; they call small atomic services before
  and after the call.
- There is one path by which an order becomes paid: payment_order_mark_paid. A verified
  WeChat Pay or Alipay notification, a channel query that finds the order paid, and the dev
  gateway all end there, so each is as idempotent and as careful as the others.

Lock order: the appointment row, then the payment order row. The booking side takes the
appointment first as well (a cancel moves the appointment, then asks for a refund here), so
the two never wait on each other in opposite order.
"""

import datetime
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PointsEntry
from accounts.selectors import points_applied_for_sources
from accounts.services import points_apply
from appointments.models import Appointment
from appointments.services.notify import refund_notify
from billing import alipay, wechatpay
from billing.bills import PAYMENT, REFUND, BillError, BillRow
from billing.models import (
    Channel,
    PaymentLedgerEntry,
    PaymentOrder,
    ReconciliationReport,
    Refund,
)
from common.money import InvalidAmount, apply_rate, yuan_to_fen
from billing.selectors import discount_rate_for_user
from common.errors import (
    Conflict,
    DomainError,
    NotFound,
    ServiceUnavailable,
    Unprocessable,
)
from common.services import Actor, operation_log_write
from common.tasks import enqueue

logger = logging.getLogger(__name__)

OrderStatus = PaymentOrder.Status
RefundStatus = Refund.Status


# -- channels ---------------------------------------------------------------------------


def dev_gateway_enabled() -> bool:
    return bool(settings.DEBUG or settings.PAYMENTS_DEV_GATEWAY)


def channel_is_enabled(channel: str) -> bool:
    if channel == Channel.WECHAT:
        return wechatpay.is_enabled()
    if channel == Channel.ALIPAY:
        return alipay.is_enabled()
    if channel == Channel.DEV:
        return dev_gateway_enabled()
    return False


def channels_enabled() -> list[str]:
    return [channel.value for channel in Channel if channel_is_enabled(channel)]


class ChannelRejected(Exception):
    """The channel answered "no" (not "try later"): e.g. closing an order that was paid."""


@dataclass(frozen=True)
class ChannelTrade:
    is_paid: bool
    transaction_id: str
    amount: int | None
    paid_at: datetime.datetime | None


@dataclass(frozen=True)
class ChannelRefundState:
    status: str  # a Refund.Status value, or PROCESSING while the channel works on it
    channel_refund_id: str | None
    failure: str = ""


PROCESSING = "processing"
_WECHAT_REFUND_STATES = {
    "SUCCESS": RefundStatus.SUCCEEDED,
    "PROCESSING": PROCESSING,
    "CLOSED": RefundStatus.FAILED,
    "ABNORMAL": RefundStatus.FAILED,
}


def _order_description(order: PaymentOrder) -> str:
    appointment = order.appointment
    return _("%(hospital)s %(doctor)s registration fee") % {
        "hospital": appointment.hospital.name,
        "doctor": appointment.doctor.name,
    }


def _channel_pay_params(order: PaymentOrder) -> dict:
    """What the client needs to pay `order`. May call the channel (WeChat's prepay)."""
    expires = order.appointment.hold_expires_at
    if order.channel == Channel.WECHAT:
        client = wechatpay.get_client()
        prepay_id = order.prepay_id
        if not prepay_id:
            try:
                prepay_id = client.jsapi_prepay(
                    out_trade_no=order.out_trade_no,
                    description=_order_description(order),
                    total=order.amount,
                    openid=order.user.wechat_openid or "",
                    time_expire=expires,
                )
            except wechatpay.WeChatPayRejected as exc:
                logger.warning("WeChat Pay refused prepay for %s: %s", order, exc)
                raise Conflict(
                    "channel_refused",
                    _("WeChat Pay refused this payment: %(reason)s")
                    % {"reason": exc.message or exc.code},
                ) from None
            _order_prepay_id_set(order=order, prepay_id=prepay_id)
        return client.jsapi_pay_params(prepay_id=prepay_id)
    if order.channel == Channel.ALIPAY:
        return alipay.get_client().wap_pay(
            out_trade_no=order.out_trade_no,
            subject=_order_description(order),
            total=order.amount,
            time_expire=expires,
        )
    return {"dev_pay_url": reverse("api:billing:order-dev-pay", args=[order.pk])}


def _channel_query(order: PaymentOrder) -> ChannelTrade | None:
    """The order as its channel sees it; None when the channel has never seen it."""
    if order.channel == Channel.WECHAT:
        trade = wechatpay.get_client().query_trade(out_trade_no=order.out_trade_no)
        if trade is None:
            return None
        return ChannelTrade(
            is_paid=trade.is_paid,
            transaction_id=trade.transaction_id,
            amount=trade.total,
            paid_at=trade.success_time,
        )
    if order.channel == Channel.ALIPAY:
        trade = alipay.get_client().query_trade(out_trade_no=order.out_trade_no)
        if trade is None:
            return None
        return ChannelTrade(
            is_paid=trade.is_paid,
            transaction_id=trade.trade_no,
            amount=trade.total,
            paid_at=None,
        )
    return None  # the dev gateway pays synchronously: nothing to ask


def _channel_close(order: PaymentOrder) -> None:
    try:
        if order.channel == Channel.WECHAT:
            wechatpay.get_client().close_trade(out_trade_no=order.out_trade_no)
        elif order.channel == Channel.ALIPAY:
            alipay.get_client().close_trade(out_trade_no=order.out_trade_no)
    except (wechatpay.WeChatPayRejected, alipay.AlipayRejected) as exc:
        raise ChannelRejected(str(exc)) from exc


def _channel_refund(refund: Refund) -> ChannelRefundState:
    order = refund.order
    try:
        if order.channel == Channel.WECHAT:
            result = wechatpay.get_client().refund(
                out_refund_no=refund.out_refund_no,
                out_trade_no=order.out_trade_no,
                refund=refund.amount,
                total=order.amount,
                reason=refund.get_kind_display(),
            )
            return ChannelRefundState(
                status=_WECHAT_REFUND_STATES.get(result.status, PROCESSING),
                channel_refund_id=result.refund_id or None,
                failure=result.status,
            )
        if order.channel == Channel.ALIPAY:
            result = alipay.get_client().refund(
                out_refund_no=refund.out_refund_no,
                out_trade_no=order.out_trade_no,
                refund=refund.amount,
                reason=refund.get_kind_display(),
            )
            return ChannelRefundState(
                status=RefundStatus.SUCCEEDED
                if result.status == "SUCCESS"
                else PROCESSING,
                channel_refund_id=None,
            )
    except (wechatpay.WeChatPayRejected, alipay.AlipayRejected) as exc:
        raise ChannelRejected(str(exc)) from exc
    return ChannelRefundState(
        status=RefundStatus.SUCCEEDED, channel_refund_id=f"DEV-{refund.out_refund_no}"
    )


def _channel_refund_query(refund: Refund) -> ChannelRefundState | None:
    order = refund.order
    if order.channel == Channel.WECHAT:
        result = wechatpay.get_client().query_refund(out_refund_no=refund.out_refund_no)
        if result is None:
            return None
        return ChannelRefundState(
            status=_WECHAT_REFUND_STATES.get(result.status, PROCESSING),
            channel_refund_id=result.refund_id or None,
            failure=result.status,
        )
    if order.channel == Channel.ALIPAY:
        result = alipay.get_client().query_refund(
            out_refund_no=refund.out_refund_no, out_trade_no=order.out_trade_no
        )
        if result is None:
            return None
        return ChannelRefundState(
            status=RefundStatus.SUCCEEDED if result.status == "SUCCESS" else PROCESSING,
            channel_refund_id=None,
        )
    return None


# -- payment orders ---------------------------------------------------------------------


def out_trade_no_new() -> str:
    """ "P" + local time to the second + 10 random hex digits: 25 characters, unique."""
    return f"P{timezone.localtime():%Y%m%d%H%M%S}{secrets.token_hex(5).upper()}"


@transaction.atomic
def payment_order_open(
    *, appointment: Appointment, channel: str, actor: Actor
) -> PaymentOrder:
    """The open order for `appointment` and `channel`, created if there is none.

    Refused (409) unless the appointment is pending payment within its hold. The amount is
    the appointment's fee after the payer's member discount, in whole fen (half up).
    """
    if channel not in Channel.values:
        raise Unprocessable("unknown_channel", _("Unknown payment channel."))
    if not channel_is_enabled(channel):
        raise Unprocessable(
            "channel_not_available", _("This payment method is not available.")
        )
    # Serialises order requests and payments for one appointment (see the lock order above).
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("user")
        .get(pk=appointment.pk)
    )
    if appointment.status != Appointment.Status.PENDING_PAYMENT:
        raise Conflict(
            "appointment_not_payable", _("This appointment is not awaiting payment.")
        )
    if (
        appointment.hold_expires_at is None
        or appointment.hold_expires_at <= timezone.now()
    ):
        raise Conflict(
            "payment_time_expired",
            _("The time to pay for this appointment has passed."),
        )
    if channel == Channel.WECHAT and not appointment.user.wechat_openid:
        raise Unprocessable(
            "wechat_login_required", _("Log in with WeChat to pay with WeChat Pay.")
        )
    existing = PaymentOrder.objects.filter(
        appointment=appointment, channel=channel, status=OrderStatus.CREATED
    ).first()
    if existing is not None:
        return existing

    rate = discount_rate_for_user(user=appointment.user)
    amount = apply_rate(appointment.fee, rate)
    if amount < 1:
        raise Conflict(
            "nothing_to_pay", _("There is nothing to pay for this appointment.")
        )
    order = PaymentOrder(
        appointment=appointment,
        user=appointment.user,
        channel=channel,
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
    return _channel_pay_params(order)


@transaction.atomic
def _order_prepay_id_set(*, order: PaymentOrder, prepay_id: str) -> None:
    PaymentOrder.objects.filter(pk=order.pk, prepay_id="").update(
        prepay_id=prepay_id, updated_at=timezone.now()
    )
    order.prepay_id = prepay_id


@transaction.atomic
def payment_order_close(*, order: PaymentOrder, actor: Actor, reason: str) -> bool:
    """Mark an unpaid order closed here (the channel side is the caller's business)."""
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


@transaction.atomic
def payment_order_mark_paid(
    *,
    order: PaymentOrder,
    transaction_id: str,
    amount: int,
    paid_at: datetime.datetime | None,
    actor: Actor,
) -> PaymentOrder:
    """Record that the channel received `amount` for `order`, and confirm the appointment.

    The one path to "paid". The same verified notification may be delivered many times and
    concurrently: the order row is locked, then moved to paid by a conditional UPDATE whose
    row count decides the single winner; the others find it paid and change nothing. A
    closed order can be paid too (the patient paid as we closed it): the money was received
    and is recorded, then refunded if the appointment cannot take it.

    The appointment is confirmed in a savepoint: if it can no longer be booked (its seat was
    given away, it was cancelled, another order already paid for it) the payment stays
    recorded and a refund is requested, never silently kept.
    """
    if not transaction_id:
        raise Unprocessable(
            "transaction_id_missing", _("The channel sent no transaction id.")
        )
    Appointment.objects.select_for_update().filter(pk=order.appointment_id).first()
    locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status in PaymentOrder.PAID_STATUSES:
        if locked.transaction_id != transaction_id:
            logger.error(
                "order %s already paid by %s, now reported paid by %s",
                locked,
                locked.transaction_id,
                transaction_id,
            )
        return locked
    if amount != locked.amount:
        raise Conflict(
            "amount_mismatch", f"paid {amount} fen, order is {locked.amount}"
        )
    now = timezone.now()
    moved = PaymentOrder.objects.filter(
        pk=locked.pk, status__in=[OrderStatus.CREATED, OrderStatus.CLOSED]
    ).update(
        status=OrderStatus.PAID,
        transaction_id=transaction_id,
        paid_at=paid_at or now,
        is_open=None,
        updated_at=now,
    )
    if moved != 1:  # cannot happen under the row lock; SQLite has none, so stay careful
        locked.refresh_from_db()
        return locked
    locked.refresh_from_db()
    PaymentLedgerEntry.objects.create(
        order=locked,
        kind=PaymentLedgerEntry.Kind.PAYMENT,
        channel=locked.channel,
        amount=locked.amount,
        channel_reference=transaction_id,
        key=f"payment:{locked.pk}",
    )
    operation_log_write(
        actor=actor,
        action="billing.order_paid",
        obj=locked,
        summary=f"{locked.channel} {locked.amount} fen transaction={transaction_id}",
    )
    if _appointment_confirm(order=locked, actor=actor):
        _points_award_for_payment(order=locked, actor=actor)
    _sibling_orders_close_later(order=locked)
    return locked


def _points_award_for_payment(*, order: PaymentOrder, actor: Actor) -> None:
    """A paid booking earns points, once per order (the ledger's key)."""
    points_apply(
        user=order.user,
        delta=settings.POINTS_PER_PAID_BOOKING,
        reason=_("Booking paid (order %(no)s)") % {"no": order.out_trade_no},
        source_type=PointsEntry.Source.ORDER_PAID,
        source_id=str(order.pk),
        actor=actor,
    )


def _points_take_back_for_refund(
    *, order: PaymentOrder, refund: Refund, actor: Actor
) -> None:
    """Take back what the order's payment earned, in proportion to what was refunded.

    Once per refund (the ledger's key). The share is of every succeeded refund of the
    order, less what earlier refunds already took back, so partial refunds add up to the
    whole award and never more.
    """
    earned = points_applied_for_sources(
        source_type=PointsEntry.Source.ORDER_PAID, source_ids=[str(order.pk)]
    )
    if earned <= 0:
        return  # the payment earned nothing (a duplicate or late payment, or none set)
    refunds = order.refunds.all()
    taken = -points_applied_for_sources(
        source_type=PointsEntry.Source.REFUND,
        source_ids=[str(pk) for pk in refunds.values_list("pk", flat=True)],
    )
    refunded = (
        refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(total=Sum("amount"))[
            "total"
        ]
        or 0
    )
    owed = apply_rate(earned, Decimal(min(refunded, order.amount)) / order.amount)
    if owed - taken > 0:
        points_apply(
            user=order.user,
            delta=-(owed - taken),
            reason=_("Refund %(no)s") % {"no": refund.out_refund_no},
            source_type=PointsEntry.Source.REFUND,
            source_id=str(refund.pk),
            actor=actor,
        )


def _appointment_confirm(*, order: PaymentOrder, actor: Actor) -> bool:
    """Book the appointment the order paid for. False (and a refund) when it cannot be."""
    from appointments.services import appointment_mark_paid

    appointment = Appointment.objects.get(pk=order.appointment_id)
    paid_elsewhere = (
        PaymentOrder.objects.filter(
            appointment_id=order.appointment_id,
            status__in=PaymentOrder.PAID_STATUSES,
        )
        .exclude(pk=order.pk)
        .exists()
    )
    if paid_elsewhere:
        refund_create(
            order=order,
            actor=actor,
            kind=Refund.Kind.DUPLICATE_PAYMENT,
            reason="the appointment was already paid by another order",
        )
        return False
    try:
        with transaction.atomic():
            appointment_mark_paid(actor=actor, appointment=appointment)
    except DomainError as exc:
        kind = (
            Refund.Kind.LATE_PAYMENT
            if exc.code == "seat_no_longer_available"
            else Refund.Kind.NOT_PAYABLE
        )
        logger.info("order %s paid but not bookable (%s): refunding", order, exc.code)
        refund_create(order=order, actor=actor, kind=kind, reason=f"{exc.code}: {exc}")
        return False
    return True


def _sibling_orders_close_later(*, order: PaymentOrder) -> None:
    """Close the appointment's other open orders (another channel) so nobody pays twice."""
    appointment_orders_settle_later(appointment_id=order.appointment_id)


def appointment_orders_settle_later(*, appointment_id: int) -> None:
    """After commit, settle every open order of the appointment with its channel.

    Called when an appointment stops waiting for payment (cancelled, or paid through
    another order): a payment that raced us is recorded (then refunded), the rest closed.
    """
    from billing.tasks import order_settle as order_settle_task

    open_orders = list(
        PaymentOrder.objects.filter(
            appointment_id=appointment_id, status=OrderStatus.CREATED
        ).values_list("pk", flat=True)
    )
    for order_id in open_orders:
        transaction.on_commit(
            lambda order_id=order_id: enqueue(order_settle_task, order_id)
        )


def order_settle(*, order: PaymentOrder, actor: Actor) -> bool:
    """Settle an open order with its channel: True if it turned out paid, else close it.

    Asks the channel (outside any transaction). Paid: recorded through
    payment_order_mark_paid like a notification. Not paid: closed at the channel, then here.
    Raises ServiceUnavailable when the channel cannot be asked or refuses to close.
    """
    if order.status != OrderStatus.CREATED:
        return order.status in PaymentOrder.PAID_STATUSES
    trade = _channel_query(order)
    if trade is not None and trade.is_paid:
        _payment_from_query(order=order, trade=trade, actor=actor)
        return True
    if trade is not None:
        try:
            _channel_close(order)
        except ChannelRejected as exc:
            # Most likely paid between our query and the close: ask once more.
            trade = _channel_query(order)
            if trade is not None and trade.is_paid:
                _payment_from_query(order=order, trade=trade, actor=actor)
                return True
            raise ServiceUnavailable(
                "channel_close_failed",
                _("The payment channel did not close the order."),
            ) from exc
    payment_order_close(
        order=order, actor=actor, reason="not paid: closed at the channel"
    )
    return False


def _payment_from_query(
    *, order: PaymentOrder, trade: ChannelTrade, actor: Actor
) -> None:
    if trade.amount != order.amount:
        logger.error(
            "channel reports %s paid with %s fen, expected %s",
            order,
            trade.amount,
            order.amount,
        )
        raise Conflict("amount_mismatch", "the channel reports another amount")
    payment_order_mark_paid(
        order=order,
        transaction_id=trade.transaction_id,
        amount=trade.amount,
        paid_at=trade.paid_at,
        actor=actor,
    )


def payment_settle_before_expiry(*, appointment: Appointment) -> bool:
    """Called by the hold-expiry job before it expires `appointment`.

    For each open order, asks the channel (so call it outside any transaction). Returns True
    if one was paid after all (the appointment is then confirmed, or refunded, exactly as a
    notification would do); otherwise closes the orders at their channel and here and
    returns False. Raises ServiceUnavailable when a channel cannot be asked.
    """
    paid = False
    actor = Actor.system()
    orders = PaymentOrder.objects.filter(
        appointment=appointment, status=OrderStatus.CREATED
    ).order_by("pk")
    for order in orders:
        if order_settle(order=order, actor=actor):
            paid = True
    return paid


def payment_order_dev_pay(*, order: PaymentOrder, actor: Actor) -> PaymentOrder:
    """The dev gateway: pay a "dev" order at once, through the notification's path."""
    if not dev_gateway_enabled():
        raise NotFound()
    if order.channel != Channel.DEV:
        raise Conflict(
            "not_a_dev_order", _("Only dev-gateway orders can be paid here.")
        )
    if order.status == OrderStatus.CLOSED:
        raise Conflict("order_closed", _("This payment order was closed."))
    return payment_order_mark_paid(
        order=order,
        transaction_id=f"DEV-{order.out_trade_no}",
        amount=order.amount,
        paid_at=timezone.now(),
        actor=actor,
    )


# -- notifications ----------------------------------------------------------------------


def wechatpay_notification_handle(
    *, headers: Mapping[str, str], body: bytes, actor: Actor
) -> None:
    """Verify and apply one WeChat Pay notification (payment or refund).

    Raises wechatpay.NotificationRejected when it does not verify or does not match our
    records; nothing is written then.
    """
    if not wechatpay.is_enabled():
        raise wechatpay.NotificationRejected("WeChat Pay is not configured", status=404)
    client = wechatpay.get_client()
    notification = client.parse_notification(headers=headers, body=body)
    if notification.event_type == "TRANSACTION.SUCCESS":
        _wechatpay_payment(client=client, resource=notification.resource, actor=actor)
    elif notification.event_type.startswith("REFUND."):
        _wechatpay_refund(client=client, resource=notification.resource, actor=actor)
    else:
        logger.info("WeChat Pay notification %s ignored", notification.event_type)


def _wechatpay_payment(
    *, client: wechatpay.WeChatPayClient, resource: dict, actor: Actor
) -> None:
    reject = wechatpay.NotificationRejected
    trade = wechatpay.Trade.from_resource(resource)
    if trade.mchid != client.mchid:
        raise reject("mchid does not match")
    if trade.appid != client.appid:
        raise reject("appid does not match")
    order = PaymentOrder.objects.filter(
        out_trade_no=trade.out_trade_no, channel=Channel.WECHAT
    ).first()
    if order is None:
        raise reject("unknown out_trade_no")
    if trade.total != order.amount:
        raise reject("amount does not match")
    if trade.trade_state != "SUCCESS" or not trade.transaction_id:
        raise reject("not a successful payment")
    payment_order_mark_paid(
        order=order,
        transaction_id=trade.transaction_id,
        amount=trade.total,
        paid_at=trade.success_time,
        actor=actor,
    )


def _wechatpay_refund(
    *, client: wechatpay.WeChatPayClient, resource: dict, actor: Actor
) -> None:
    reject = wechatpay.NotificationRejected
    if str(resource.get("mchid", "")) != client.mchid:
        raise reject("mchid does not match")
    result = wechatpay.RefundResult.from_resource(resource)
    refund = (
        Refund.objects.select_related("order")
        .filter(out_refund_no=result.out_refund_no, order__channel=Channel.WECHAT)
        .first()
    )
    if refund is None or refund.order.out_trade_no != result.out_trade_no:
        raise reject("unknown out_refund_no")
    if result.refund != refund.amount:
        raise reject("amount does not match")
    state = ChannelRefundState(
        status=_WECHAT_REFUND_STATES.get(result.status, PROCESSING),
        channel_refund_id=result.refund_id or None,
        failure=result.status,
    )
    refund_apply_channel_state(refund=refund, state=state, actor=actor)


def alipay_notification_handle(*, params: Mapping[str, str], actor: Actor) -> None:
    """Verify and apply one Alipay asynchronous notification.

    Raises alipay.NotificationRejected when it does not verify or does not match our
    records; nothing is written then. Only TRADE_SUCCESS and TRADE_FINISHED mean paid.
    """
    reject = alipay.NotificationRejected
    if not alipay.is_enabled():
        raise reject("Alipay is not configured")
    client = alipay.get_client()
    data = client.verify_notification(params)
    if data.get("app_id") != client.app_id:
        raise reject("app_id does not match")
    if data.get("seller_id") != client.seller_id:
        raise reject("seller_id does not match")
    order = PaymentOrder.objects.filter(
        out_trade_no=data.get("out_trade_no", ""), channel=Channel.ALIPAY
    ).first()
    if order is None:
        raise reject("unknown out_trade_no")
    try:
        total = yuan_to_fen(data.get("total_amount", ""))
    except InvalidAmount:
        raise reject("total_amount is not an amount") from None
    if total != order.amount:
        raise reject("amount does not match")

    out_request_no = data.get("out_biz_no", "")
    if out_request_no and data.get("refund_fee"):
        # A refund's notification (Alipay sends one per partial or full refund).
        refund = Refund.objects.filter(
            order=order, out_refund_no=out_request_no
        ).first()
        if refund is None:
            raise reject("unknown out_biz_no")
        refund_apply_channel_state(
            refund=refund,
            state=ChannelRefundState(
                status=RefundStatus.SUCCEEDED, channel_refund_id=None
            ),
            actor=actor,
        )
        return
    if data.get("trade_status") not in alipay.PAID_TRADE_STATUSES:
        return  # WAIT_BUYER_PAY / TRADE_CLOSED: nothing was received
    if not data.get("trade_no"):
        raise reject("trade_no missing")
    payment_order_mark_paid(
        order=order,
        transaction_id=data["trade_no"],
        amount=total,
        paid_at=alipay.parse_alipay_time(data.get("gmt_payment", "")),
        actor=actor,
    )


# -- refunds ----------------------------------------------------------------------------

_REASON_KIND = re.compile(r"[a-z_]+")


def refund_kind_for_reason(reason: str) -> str:
    """ "cancel:patient" -> "cancel", "stop_clinic" -> "stop_clinic"; unknown -> "other"."""
    prefix = reason.split(":", 1)[0].strip()
    if _REASON_KIND.fullmatch(prefix) and prefix in Refund.Kind.values:
        return prefix
    return Refund.Kind.OTHER


def out_refund_no_for(*, order: PaymentOrder, kind: str) -> str:
    """Fixed per (order, kind), so a retried request can never refund twice."""
    return f"{order.out_trade_no}-{kind}"


@transaction.atomic
def appointment_refund_request(
    *, appointment: Appointment, actor: Actor, reason: str
) -> Refund | None:
    """Refund what was paid for `appointment`. The one refund entry point for bookings.

    `reason` starts with its kind ("cancel:patient", "stop_clinic"); one refund per paid
    order and kind, so asking again returns the first refund instead of paying twice.
    Returns None when nothing was paid, or everything paid was already refunded. The refund
    is sent to the channel after the caller's transaction commits.
    """
    kind = refund_kind_for_reason(reason)
    orders = list(
        PaymentOrder.objects.filter(
            appointment=appointment, status__in=PaymentOrder.PAID_STATUSES
        ).order_by("paid_at", "pk")
    )
    existing = Refund.objects.filter(order__in=orders, kind=kind).order_by("pk").first()
    if existing is not None:
        return existing
    for order in orders:
        if order.refundable_amount > 0:
            return refund_create(order=order, actor=actor, kind=kind, reason=reason)
    return None


@transaction.atomic
def refund_create(
    *,
    order: PaymentOrder,
    actor: Actor,
    kind: str,
    reason: str,
    amount: int | None = None,
) -> Refund:
    """Refund `amount` fen of a paid order (all that is left when None).

    Never more than was paid: checked here under the order's row lock, and by the
    database (refunded_amount <= amount). One refund per order and kind.
    """
    from billing.tasks import refund_submit as refund_submit_task

    order = PaymentOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in PaymentOrder.PAID_STATUSES:
        raise Conflict("order_not_paid", _("This order has not been paid."))
    if Refund.objects.filter(order=order, kind=kind).exists():
        raise Conflict(
            "refund_already_requested",
            _("A refund of this kind was already requested for this order."),
        )
    remaining = order.refundable_amount
    if remaining <= 0:
        raise Conflict("nothing_to_refund", _("Everything paid was already refunded."))
    amount = remaining if amount is None else amount
    if amount < 1:
        raise Unprocessable("invalid_refund_amount", _("Refund at least 0.01 yuan."))
    if amount > remaining:
        raise Unprocessable(
            "refund_exceeds_payment",
            _("At most %(yuan)s yuan can be refunded.")
            % {"yuan": f"{remaining / 100:.2f}"},
        )
    taken = PaymentOrder.objects.filter(
        pk=order.pk, refunded_amount__lte=order.amount - amount
    ).update(
        refunded_amount=F("refunded_amount") + amount,
        status=OrderStatus.REFUNDING,
        updated_at=timezone.now(),
    )
    if taken != 1:
        raise Unprocessable(
            "refund_exceeds_payment", _("The refund exceeds the payment.")
        )
    refund = Refund(
        order=order,
        kind=kind,
        reason=reason[:255],
        out_refund_no=out_refund_no_for(order=order, kind=kind),
        amount=amount,
        status=RefundStatus.REFUNDING,
    )
    refund.full_clean()
    refund.save()
    operation_log_write(
        actor=actor,
        action="billing.refund_request",
        obj=refund,
        summary=f"{kind} {amount} fen order={order.out_trade_no}: {reason}",
    )
    operation_log_write(
        actor=actor,
        action="billing.order_refunding",
        obj=order,
        summary=f"refund {refund.out_refund_no} {amount} fen",
    )
    refund_id = refund.pk
    transaction.on_commit(lambda: enqueue(refund_submit_task, refund_id))
    return refund


@transaction.atomic
def _refund_attempt_start(*, refund: Refund) -> bool:
    started = Refund.objects.filter(pk=refund.pk, status=RefundStatus.REFUNDING).update(
        attempts=F("attempts") + 1,
        submitted_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return started == 1


def refund_submit(*, refund: Refund) -> Refund:
    """Send a refunding refund to its channel and record the answer.

    Not atomic: the channel call runs outside any transaction. Raises ServiceUnavailable
    when the channel did not answer (the task retries); a definite "no" marks it failed.
    """
    refund = Refund.objects.select_related("order").get(pk=refund.pk)
    if not _refund_attempt_start(refund=refund):
        return refund  # already done, failed or being handled by staff
    actor = Actor.system()
    try:
        state = _channel_refund(refund)
    except ChannelRejected as exc:
        state = ChannelRefundState(
            status=RefundStatus.FAILED, channel_refund_id=None, failure=str(exc)
        )
    return refund_apply_channel_state(refund=refund, state=state, actor=actor)


def refund_sync(*, refund: Refund) -> Refund:
    """Ask the channel how a refunding refund is doing, and record it (outside a transaction)."""
    refund = Refund.objects.select_related("order").get(pk=refund.pk)
    if refund.status != RefundStatus.REFUNDING:
        return refund
    state = _channel_refund_query(refund)
    if state is None:
        return refund_submit(refund=refund)  # the channel never got it: send it now
    return refund_apply_channel_state(refund=refund, state=state, actor=Actor.system())


@transaction.atomic
def refund_apply_channel_state(
    *, refund: Refund, state: ChannelRefundState, actor: Actor
) -> Refund:
    """Record what the channel says about a refund (API answer, query or notification)."""
    order = PaymentOrder.objects.select_for_update().get(pk=refund.order_id)
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    now = timezone.now()
    if state.status == RefundStatus.SUCCEEDED:
        moved = Refund.objects.filter(
            pk=refund.pk, status__in=[RefundStatus.REFUNDING, RefundStatus.FAILED]
        ).update(
            status=RefundStatus.SUCCEEDED,
            channel_refund_id=state.channel_refund_id or refund.channel_refund_id,
            succeeded_at=now,
            failure_reason="",
            updated_at=now,
        )
        if moved != 1:
            return refund
        refund.refresh_from_db()
        PaymentLedgerEntry.objects.create(
            order=order,
            refund=refund,
            kind=PaymentLedgerEntry.Kind.REFUND,
            channel=order.channel,
            amount=refund.amount,
            channel_reference=refund.channel_refund_id or refund.out_refund_no,
            key=f"refund:{refund.pk}",
        )
        operation_log_write(
            actor=actor,
            action="billing.refund_succeeded",
            obj=refund,
            summary=f"{refund.amount} fen channel_refund_id={refund.channel_refund_id}",
        )
        _order_refund_status_update(order=order, actor=actor)
        refund.order = order
        refund_notify(refund=refund)
        _points_take_back_for_refund(order=order, refund=refund, actor=actor)
    elif state.status == RefundStatus.FAILED:
        moved = Refund.objects.filter(
            pk=refund.pk, status=RefundStatus.REFUNDING
        ).update(
            status=RefundStatus.FAILED,
            failure_reason=state.failure[:255],
            channel_refund_id=state.channel_refund_id or refund.channel_refund_id,
            updated_at=now,
        )
        if moved == 1:
            refund.refresh_from_db()
            logger.error("refund %s failed: %s", refund, state.failure)
            operation_log_write(
                actor=actor,
                action="billing.refund_failed",
                obj=refund,
                summary=state.failure,
            )
    elif state.channel_refund_id and not refund.channel_refund_id:
        Refund.objects.filter(pk=refund.pk).update(
            channel_refund_id=state.channel_refund_id, updated_at=now
        )
        refund.refresh_from_db()
    return refund


def _order_refund_status_update(*, order: PaymentOrder, actor: Actor) -> None:
    """refunding until every refund is done; then refunded or partially_refunded."""
    pending = order.refunds.exclude(status=RefundStatus.SUCCEEDED).exists()
    if pending:
        return
    target = (
        OrderStatus.REFUNDED
        if order.refunded_amount >= order.amount
        else OrderStatus.PARTIALLY_REFUNDED
    )
    moved = PaymentOrder.objects.filter(
        pk=order.pk, status=OrderStatus.REFUNDING
    ).update(status=target, updated_at=timezone.now())
    if moved == 1:
        order.status = target
        operation_log_write(
            actor=actor,
            action=f"billing.order_{target}",
            obj=order,
            summary=f"refunded {order.refunded_amount} of {order.amount} fen",
        )


@transaction.atomic
def refund_mark_failed(*, refund: Refund, reason: str) -> Refund:
    """Give up on a refund the channel never answered (the task ran out of retries)."""
    return refund_apply_channel_state(
        refund=refund,
        state=ChannelRefundState(
            status=RefundStatus.FAILED, channel_refund_id=None, failure=reason
        ),
        actor=Actor.system(),
    )


@transaction.atomic
def refund_retry(*, refund: Refund, actor: Actor) -> Refund:
    """Staff send a failed refund again (same out_refund_no: the channel pays it once)."""
    from billing.tasks import refund_submit as refund_submit_task

    moved = Refund.objects.filter(pk=refund.pk, status=RefundStatus.FAILED).update(
        status=RefundStatus.REFUNDING, updated_at=timezone.now()
    )
    if moved != 1:
        raise Conflict("refund_not_failed", _("Only a failed refund can be retried."))
    refund.refresh_from_db()
    operation_log_write(
        actor=actor,
        action="billing.refund_retry",
        obj=refund,
        summary=refund.failure_reason,
    )
    refund_id = refund.pk
    transaction.on_commit(lambda: enqueue(refund_submit_task, refund_id))
    return refund


@transaction.atomic
def refund_create_by_staff(*, order: PaymentOrder, actor: Actor) -> Refund:
    """A staff refund of everything left on the order (admin action)."""
    return refund_create(
        order=order,
        actor=actor,
        kind=Refund.Kind.STAFF,
        reason=f"refunded by staff {getattr(actor.user, 'username', '')}".strip(),
    )


# -- reconciliation ---------------------------------------------------------------------


@dataclass
class ReconciliationResult:
    matched: int = 0
    missing_locally: list[dict] = field(default_factory=list)
    missing_at_channel: list[dict] = field(default_factory=list)
    amount_mismatches: list[dict] = field(default_factory=list)


def _local_day(date: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(date, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def reconciliation_match(
    *, channel: str, date: datetime.date, rows: list[BillRow], progress=None
) -> ReconciliationResult:
    """Match one day's bill rows with our paid orders and refunds (reads only).

    A bill row without a paid order or a live refund here is "missing locally" (money moved
    that we did not record); an order paid, or a refund sent, on that day that the bill
    does not list is "missing at the channel". `progress(done, total)` is called per row.
    """
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if (row.kind, row.key) in seen:
            raise BillError(row.line, f"{row.key} appears twice")
        seen.add((row.kind, row.key))

    result = ReconciliationResult()
    orders = {
        order.out_trade_no: order
        for order in PaymentOrder.objects.filter(
            channel=channel,
            out_trade_no__in=[r.out_trade_no for r in rows if r.kind == PAYMENT],
        )
    }
    refunds = {
        refund.out_refund_no: refund
        for refund in Refund.objects.filter(
            order__channel=channel,
            out_refund_no__in=[r.out_refund_no for r in rows if r.kind == REFUND],
        )
    }
    for done, row in enumerate(rows, start=1):
        if row.kind == PAYMENT:
            order = orders.get(row.out_trade_no)
            local = (
                order.amount
                if order is not None and order.status in PaymentOrder.PAID_STATUSES
                else None
            )
        else:
            refund = refunds.get(row.out_refund_no)
            local = (
                refund.amount
                if refund is not None and refund.status != RefundStatus.FAILED
                else None
            )
        entry = {
            "kind": row.kind,
            "key": row.key,
            "line": row.line,
            "bill_amount": row.amount,
        }
        if local is None:
            result.missing_locally.append(entry)
        elif local != row.amount:
            result.amount_mismatches.append({**entry, "local_amount": local})
        else:
            result.matched += 1
        if progress is not None:
            progress(done, len(rows))

    start, end = _local_day(date)
    billed_payments = {r.out_trade_no for r in rows if r.kind == PAYMENT}
    for order in PaymentOrder.objects.filter(
        channel=channel, paid_at__gte=start, paid_at__lt=end
    ).order_by("paid_at", "pk"):
        if order.out_trade_no not in billed_payments:
            result.missing_at_channel.append(
                {
                    "kind": PAYMENT,
                    "key": order.out_trade_no,
                    "local_amount": order.amount,
                }
            )
    billed_refunds = {r.out_refund_no for r in rows if r.kind == REFUND}
    sent_that_day = Q(succeeded_at__gte=start, succeeded_at__lt=end) | Q(
        status=RefundStatus.REFUNDING, submitted_at__gte=start, submitted_at__lt=end
    )
    for refund in Refund.objects.filter(sent_that_day, order__channel=channel).order_by(
        "pk"
    ):
        if refund.out_refund_no not in billed_refunds:
            result.missing_at_channel.append(
                {
                    "kind": REFUND,
                    "key": refund.out_refund_no,
                    "local_amount": refund.amount,
                }
            )
    return result


@transaction.atomic
def reconciliation_report_save(
    *,
    channel: str,
    date: datetime.date,
    file_name: str,
    result: ReconciliationResult,
    actor: Actor,
) -> ReconciliationReport:
    """Store the day's result: one report per channel and day, replaced on a rerun."""
    report, created = ReconciliationReport.objects.update_or_create(
        channel=channel,
        date=date,
        defaults={
            "file_name": file_name[:255],
            "matched": result.matched,
            "missing_locally": len(result.missing_locally),
            "missing_at_channel": len(result.missing_at_channel),
            "amount_mismatches": len(result.amount_mismatches),
            "details": {
                "missing_locally": result.missing_locally,
                "missing_at_channel": result.missing_at_channel,
                "amount_mismatches": result.amount_mismatches,
            },
        },
    )
    operation_log_write(
        actor=actor,
        action="billing.reconcile",
        obj=report,
        summary=f"{'created' if created else 'updated'}: {report.matched} matched, "
        f"{report.missing_locally} missing here, {report.missing_at_channel} missing at "
        f"the channel, {report.amount_mismatches} amount mismatches",
    )
    return report
