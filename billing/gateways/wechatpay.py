"""WeChat Pay behind the gateway interface (the SDK wrapper is billing.wechatpay)."""

import logging

from django.utils.translation import gettext as _

from billing import wechatpay
from billing.errors import ErrorCode
from billing.gateways.base import (
    PROCESSING,
    ChannelRefundState,
    ChannelRejected,
    ChannelTrade,
)
from billing.models import Channel, PaymentOrder, Refund
from billing.payables import order_pay_before
from common.errors import Conflict

logger = logging.getLogger(__name__)

_REFUND_STATES = {
    "SUCCESS": Refund.Status.SUCCEEDED,
    "PROCESSING": PROCESSING,
    "CLOSED": Refund.Status.FAILED,
    "ABNORMAL": Refund.Status.FAILED,
}


def refund_state(result: wechatpay.RefundResult) -> ChannelRefundState:
    """A WeChat Pay refund (API answer, query or notification) in neutral terms."""
    return ChannelRefundState(
        status=_REFUND_STATES.get(result.status, PROCESSING),
        channel_refund_id=result.refund_id or None,
        failure=result.status,
    )


class WeChatPayGateway:
    channel = Channel.WECHAT

    def is_enabled(self) -> bool:
        return wechatpay.is_enabled()

    def prepay(self, order: PaymentOrder, *, description: str) -> str:
        """The JSAPI prepay_id, or for a web page (scene "web") the Native code_url."""
        client = wechatpay.get_client()
        try:
            if order.scene == PaymentOrder.Scene.WEB:
                return client.native_prepay(
                    out_trade_no=order.out_trade_no,
                    description=description,
                    total=order.amount,
                    time_expire=order_pay_before(order),
                )
            return client.jsapi_prepay(
                out_trade_no=order.out_trade_no,
                description=description,
                total=order.amount,
                openid=order.user.wechat_openid or "",
                time_expire=order_pay_before(order),
            )
        except wechatpay.WeChatPayRejected as exc:
            logger.warning("WeChat Pay refused prepay for %s: %s", order, exc)
            raise Conflict(
                ErrorCode.CHANNEL_REFUSED,
                _("WeChat Pay refused this payment: %(reason)s")
                % {"reason": exc.message or exc.code},
            ) from None

    def pay_params(
        self, order: PaymentOrder, *, description: str, prepay_id: str
    ) -> dict:
        if order.scene == PaymentOrder.Scene.WEB:
            # The page shows it as a QR code; WeChat's notification confirms the payment.
            return {"code_url": prepay_id}
        return wechatpay.get_client().jsapi_pay_params(prepay_id=prepay_id)

    def query(self, order: PaymentOrder) -> ChannelTrade | None:
        trade = wechatpay.get_client().query_trade(out_trade_no=order.out_trade_no)
        if trade is None:
            return None
        return ChannelTrade(
            is_paid=trade.is_paid,
            transaction_id=trade.transaction_id,
            amount=trade.total,
            paid_at=trade.success_time,
        )

    def close(self, order: PaymentOrder) -> None:
        try:
            wechatpay.get_client().close_trade(out_trade_no=order.out_trade_no)
        except wechatpay.WeChatPayRejected as exc:
            raise ChannelRejected(str(exc)) from exc

    def refund(self, refund: Refund) -> ChannelRefundState:
        order = refund.order
        try:
            result = wechatpay.get_client().refund(
                out_refund_no=refund.out_refund_no,
                out_trade_no=order.out_trade_no,
                refund=refund.amount,
                total=order.amount,
                reason=refund.get_kind_display(),
            )
        except wechatpay.WeChatPayRejected as exc:
            raise ChannelRejected(str(exc)) from exc
        return refund_state(result)

    def refund_query(self, refund: Refund) -> ChannelRefundState | None:
        result = wechatpay.get_client().query_refund(out_refund_no=refund.out_refund_no)
        if result is None:
            return None
        return refund_state(result)


gateway = WeChatPayGateway()
