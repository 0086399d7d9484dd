"""Alipay behind the gateway interface (the SDK wrapper is billing.alipay)."""

from billing import alipay
from billing.gateways.base import (
    PROCESSING,
    ChannelRefundState,
    ChannelRejected,
    ChannelTrade,
)
from billing.models import Channel, PaymentOrder, Refund
from billing.payables import order_pay_before


def _refund_state(status: str) -> ChannelRefundState:
    # Alipay gives no refund id of its own: the out_request_no is the reference.
    return ChannelRefundState(
        status=Refund.Status.SUCCEEDED if status == "SUCCESS" else PROCESSING,
        channel_refund_id=None,
    )


class AlipayGateway:
    channel = Channel.ALIPAY

    def is_enabled(self) -> bool:
        return alipay.is_enabled()

    def prepay(self, order: PaymentOrder, *, description: str) -> str:
        return ""  # the WAP payment is signed locally: nothing to register first

    def pay_params(
        self, order: PaymentOrder, *, description: str, prepay_id: str
    ) -> dict:
        return alipay.get_client().wap_pay(
            out_trade_no=order.out_trade_no,
            subject=description,
            total=order.amount,
            time_expire=order_pay_before(order),
        )

    def query(self, order: PaymentOrder) -> ChannelTrade | None:
        trade = alipay.get_client().query_trade(out_trade_no=order.out_trade_no)
        if trade is None:
            return None
        return ChannelTrade(
            is_paid=trade.is_paid,
            transaction_id=trade.trade_no,
            amount=trade.total,
            paid_at=None,
        )

    def close(self, order: PaymentOrder) -> None:
        try:
            alipay.get_client().close_trade(out_trade_no=order.out_trade_no)
        except alipay.AlipayRejected as exc:
            raise ChannelRejected(str(exc)) from exc

    def refund(self, refund: Refund) -> ChannelRefundState:
        order = refund.order
        try:
            result = alipay.get_client().refund(
                out_refund_no=refund.out_refund_no,
                out_trade_no=order.out_trade_no,
                refund=refund.amount,
                reason=refund.get_kind_display(),
            )
        except alipay.AlipayRejected as exc:
            raise ChannelRejected(str(exc)) from exc
        return _refund_state(result.status)

    def refund_query(self, refund: Refund) -> ChannelRefundState | None:
        result = alipay.get_client().query_refund(
            out_refund_no=refund.out_refund_no, out_trade_no=refund.order.out_trade_no
        )
        if result is None:
            return None
        return _refund_state(result.status)


gateway = AlipayGateway()
