"""Billing services: payment orders, payment confirmation, refunds, reconciliation.

Every write to billing goes through this package, one module per concern:

- orders: open an order, its pay parameters, close it, mark it paid (the one path to paid).
- notifications: what the channels report (verified notifications), and the dev gateway.
- settlement: settle open orders with their channel (paid after all, or closed).
- refunds: request, send, record and retry refunds.
- reconciliation: one day's channel bill against our records.

The channels themselves sit behind billing.gateways (one gateway per channel).

Two rules shape the package:

- Network calls to a channel never run inside a database transaction. Functions that talk
  to a channel (payment_order_pay_params, payment_settle_before_expiry, order_settle,
  refund_submit, refund_sync) are therefore not atomic themselves; they call small atomic
  services before and after the call.
- There is one path by which an order becomes paid: payment_order_mark_paid.

Lock order: the appointment row, then the payment order row. The booking side takes the
appointment first as well (a cancel moves the appointment, then asks for a refund here), so
the two never wait on each other in opposite order.

Import from the module that holds a service. The names below are re-exported only for
callers that still use the package (billing admin and other apps); they go once those move.
"""

from billing.gateways.base import ChannelRefundState
from billing.services.notifications import (
    payment_order_dev_pay,
    wechatpay_notification_handle,
)
from billing.services.orders import (
    appointment_orders_settle_later,
    payment_order_open,
)
from billing.services.payments import payment_order_mark_paid
from billing.services.refunds import (
    appointment_refund_request,
    refund_apply_channel_state,
    refund_create,
    refund_create_by_staff,
    refund_retry,
)
from billing.services.settlement import payment_settle_before_expiry

__all__ = [
    "ChannelRefundState",
    "appointment_orders_settle_later",
    "appointment_refund_request",
    "payment_order_dev_pay",
    "payment_order_mark_paid",
    "payment_order_open",
    "payment_settle_before_expiry",
    "refund_apply_channel_state",
    "refund_create",
    "refund_create_by_staff",
    "refund_retry",
    "wechatpay_notification_handle",
]
