"""Payments and refunds the channels report: verified notifications, and the dev gateway.

Each ends in the same services a channel query would: payment_order_mark_paid for a
payment, refund_apply_channel_state for a refund.
"""

import logging
import re
from collections.abc import Mapping
from typing import NoReturn

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import alipay, wechatpay
from billing.errors import ErrorCode
from billing.gateways import dev_gateway_enabled
from billing.gateways import wechatpay as wechatpay_gateway
from billing.gateways.base import ChannelRefundState
from billing.models import Channel, PaymentOrder, Refund
from billing.services.payments import payment_order_mark_paid
from billing.services.refunds import refund_apply_channel_state
from common.errors import Conflict, NotFound
from common.money import InvalidAmount
from common.services import Actor, operation_log_write

logger = logging.getLogger(__name__)

OrderStatus = PaymentOrder.Status
RefundStatus = Refund.Status


def payment_order_dev_pay(*, order: PaymentOrder, actor: Actor) -> PaymentOrder:
    """The dev gateway: pay a "dev" order at once, through the notification's path."""
    if not dev_gateway_enabled():
        raise NotFound()
    if order.channel != Channel.DEV:
        raise Conflict(
            ErrorCode.NOT_A_DEV_ORDER, _("Only dev-gateway orders can be paid here.")
        )
    if order.status == OrderStatus.CLOSED:
        raise Conflict(ErrorCode.ORDER_CLOSED, _("This payment order was closed."))
    return payment_order_mark_paid(
        order=order,
        transaction_id=f"DEV-{order.out_trade_no}",
        amount=order.amount,
        paid_at=timezone.now(),
        actor=actor,
    )


def wechatpay_notification_handle(
    *, headers: Mapping[str, str], body: bytes, actor: Actor
) -> None:
    """Verify and apply one WeChat Pay notification (payment or refund).

    Raises wechatpay.NotificationRejected when it does not verify or does not match our
    records; nothing is written then, except the operation-log row of a verified
    notification that names another amount or another order.
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
        _payment_amount_refuse(
            order=order, paid=trade.total, actor=actor, reject=reject
        )
    if trade.trade_state != "SUCCESS" or not trade.transaction_id:
        raise reject("not a successful payment")
    payment_order_mark_paid(
        order=order,
        transaction_id=trade.transaction_id,
        amount=trade.total,
        paid_at=trade.success_time,
        actor=actor,
    )


def _payment_amount_refuse(
    *, order: PaymentOrder, paid: int | None, actor: Actor, reject: type[Exception]
) -> NoReturn:
    """A verified notification says another amount was paid: record it, change nothing.

    The operation-log row is all that is written (the audit report lists these).
    """
    with transaction.atomic():
        operation_log_write(
            actor=actor,
            action="billing.payment_amount_refused",
            obj=order,
            summary=f"paid={paid} order={order.amount} fen",
        )
    logger.warning("payment notification for %s refused: paid %s", order, paid)
    raise reject("amount does not match")


def _wechatpay_refund(
    *, client: wechatpay.WeChatPayClient, resource: dict, actor: Actor
) -> None:
    reject = wechatpay.NotificationRejected
    if wechatpay.text_field(resource, "mchid") != client.mchid:
        raise reject("mchid does not match")
    result = wechatpay.RefundResult.from_resource(resource)
    refund = _refund_for_notification(
        channel=Channel.WECHAT,
        out_refund_no=result.out_refund_no,
        reject=reject,
    )
    refund_notification_check(
        refund=refund,
        out_trade_no=result.out_trade_no,
        transaction_id=wechatpay.text_field(resource, "transaction_id"),
        refunded=result.refund,
        order_total=wechatpay.fen_field(resource.get("amount"), "total"),
        actor=actor,
        reject=reject,
    )
    state = wechatpay_gateway.refund_state(result)
    refund_apply_channel_state(refund=refund, state=state, actor=actor)


def _refund_for_notification(
    *, channel: str, out_refund_no: str, reject: type[Exception]
) -> Refund:
    refund = (
        Refund.objects.select_related("order")
        .filter(out_refund_no=out_refund_no, order__channel=channel)
        .first()
        if out_refund_no
        else None
    )
    if refund is None:
        raise reject("unknown out_refund_no")
    return refund


def refund_notification_check(
    *,
    refund: Refund,
    out_trade_no: str,
    transaction_id: str,
    refunded: int | None,
    order_total: int | None,
    actor: Actor,
    reject: type[Exception],
    cumulative: bool = False,
) -> None:
    """Refuse a refund notification that does not match the refund and its order.

    The one check for both channels: the order named (out_trade_no, and the channel's
    transaction id when both sides have one), the order's total when the channel sends
    it, and the amount refunded. WeChat Pay reports this refund's amount; Alipay reports
    the trade's total refunded so far (`cumulative`), which is this refund plus the
    order's earlier refunds that succeeded. A mismatch is written to the operation log
    (with the caller's IP) and raises `reject`; nothing else changes.
    """
    order = refund.order
    expected = refund.amount
    if cumulative:
        expected += (
            Refund.objects.filter(
                order_id=order.pk, status=RefundStatus.SUCCEEDED, pk__lt=refund.pk
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
    if out_trade_no != order.out_trade_no:
        problem = "out_trade_no does not match"
    elif (
        transaction_id
        and order.transaction_id
        and (transaction_id != order.transaction_id)
    ):
        problem = "transaction id does not match"
    elif order_total is not None and order_total != order.amount:
        problem = "order total does not match"
    elif refunded != expected:
        problem = "amount does not match"
    else:
        return
    with transaction.atomic():
        operation_log_write(
            actor=actor,
            action="billing.refund_notification_refused",
            obj=refund,
            summary=f"{problem}: out_trade_no={out_trade_no[:64]} "
            f"refunded={refunded} expected={expected} fen",
        )
    logger.warning("refund notification for %s refused: %s", refund, problem)
    raise reject(problem)


def alipay_notification_handle(*, params: Mapping[str, str], actor: Actor) -> None:
    """Verify and apply one Alipay asynchronous notification.

    Raises alipay.NotificationRejected when it does not verify or does not match our
    records; nothing is written then, except the operation-log row of a verified
    notification that names another amount or another order. Only TRADE_SUCCESS and
    TRADE_FINISHED mean paid.
    """
    reject = alipay.NotificationRejected
    if not alipay.is_enabled():
        raise reject("Alipay is not configured", status=404)
    client = alipay.get_client()
    data = client.verify_notification(params)
    if data.get("app_id") != client.app_id:
        raise reject("app_id does not match")
    if data.get("seller_id") != client.seller_id:
        raise reject("seller_id does not match")
    out_trade_no = data.get("out_trade_no", "")
    order = PaymentOrder.objects.filter(
        out_trade_no=out_trade_no, channel=Channel.ALIPAY
    ).first()
    if order is None:
        raise reject("unknown out_trade_no")
    total = _alipay_fen(data, "total_amount", reject=reject)
    if total != order.amount:
        _payment_amount_refuse(order=order, paid=total, actor=actor, reject=reject)
    trade_no = data.get("trade_no", "")
    if trade_no and not _ALIPAY_TRADE_NO.fullmatch(trade_no):
        raise reject("trade_no is malformed")

    out_request_no = data.get("out_biz_no", "")
    if out_request_no:
        # A refund's notification (Alipay sends one per partial or full refund).
        refund = _refund_for_notification(
            channel=Channel.ALIPAY, out_refund_no=out_request_no, reject=reject
        )
        refund_notification_check(
            refund=refund,
            out_trade_no=out_trade_no,
            transaction_id=trade_no,
            refunded=_alipay_fen(data, "refund_fee", reject=reject),
            order_total=total,
            actor=actor,
            reject=reject,
            cumulative=True,
        )
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
    if not trade_no:
        raise reject("trade_no missing")
    payment_order_mark_paid(
        order=order,
        transaction_id=trade_no,
        amount=total,
        paid_at=alipay.parse_alipay_time(data.get("gmt_payment", "")),
        actor=actor,
    )


# Alipay's trade numbers are 28 digits; anything not short and plain is refused.
_ALIPAY_TRADE_NO = re.compile(r"[0-9A-Za-z_-]{1,64}")


def _alipay_fen(data: Mapping[str, str], name: str, *, reject: type[Exception]) -> int:
    try:
        return alipay.parse_yuan(data.get(name, ""))
    except InvalidAmount:
        raise reject(f"{name} is not an amount") from None
