"""Payments and refunds the channels report: verified notifications, and the dev gateway.

Each ends in the same services a channel query would: payment_order_mark_paid for a
payment, refund_apply_channel_state for a refund.
"""

import logging
from collections.abc import Mapping

from django.utils import timezone
from django.utils.translation import gettext as _

from billing import alipay, wechatpay
from billing.errors import ErrorCode
from billing.gateways import dev_gateway_enabled
from billing.gateways import wechatpay as wechatpay_gateway
from billing.gateways.base import ChannelRefundState
from billing.models import Channel, PaymentOrder, Refund
from billing.services.orders import payment_order_mark_paid
from billing.services.refunds import refund_apply_channel_state
from common.errors import Conflict, NotFound
from common.money import InvalidAmount, yuan_to_fen
from common.services import Actor

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
    state = wechatpay_gateway.refund_state(result)
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
