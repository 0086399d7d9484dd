"""Settling open orders with their channel: paid after all (recorded), or closed.

Runs when an appointment stops waiting for payment (cancelled, paid through another order,
or its hold expires). Every function here asks the channel, so none is atomic and none
may be called inside a transaction.
"""

import datetime
import logging

from django.utils import timezone
from django.utils.translation import gettext as _

from appointments.models import Appointment
from appointments.selectors import appointment_holds_due
from appointments.services.payment import appointment_expire
from billing.errors import ErrorCode
from billing.gateways import gateway_for
from billing.gateways.base import ChannelRejected, ChannelTrade
from billing.models import PaymentOrder
from billing.services.orders import payment_order_close
from billing.services.payments import payment_order_mark_paid
from common.errors import Conflict, ServiceUnavailable
from common.services import Actor

logger = logging.getLogger(__name__)

OrderStatus = PaymentOrder.Status


def order_settle(*, order: PaymentOrder, actor: Actor) -> bool:
    """Settle an open order with its channel: True if it turned out paid, else close it.

    Asks the channel (outside any transaction). Paid: recorded through
    payment_order_mark_paid like a notification. Not paid: closed at the channel, then here.
    Raises ServiceUnavailable when the channel cannot be asked or refuses to close.
    """
    if order.status != OrderStatus.CREATED:
        return order.status in PaymentOrder.PAID_STATUSES
    trade = gateway_for(order.channel).query(order)
    if trade is not None and trade.is_paid:
        _payment_from_query(order=order, trade=trade, actor=actor)
        return True
    if trade is not None:
        try:
            gateway_for(order.channel).close(order)
        except ChannelRejected as exc:
            # Most likely paid between our query and the close: ask once more.
            trade = gateway_for(order.channel).query(order)
            if trade is not None and trade.is_paid:
                _payment_from_query(order=order, trade=trade, actor=actor)
                return True
            raise ServiceUnavailable(
                ErrorCode.CHANNEL_CLOSE_FAILED,
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
        raise Conflict(ErrorCode.AMOUNT_MISMATCH, "the channel reports another amount")
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


def payable_orders_settle(*, kind: str, ref_id: int) -> bool:
    """payment_settle_before_expiry for a higher app's payable (billing.payables): called
    by its owner before it gives up waiting for the payment (outside any transaction).

    True if an open order was paid after all (the payment then went to the owner's
    handler, as a notification's would); otherwise the orders are closed at their channel
    and here, and it returns False. Raises ServiceUnavailable when a channel cannot be
    asked.
    """
    paid = False
    actor = Actor.system()
    orders = PaymentOrder.objects.filter(
        kind=kind, ref_id=ref_id, status=OrderStatus.CREATED
    ).order_by("pk")
    for order in orders:
        if order_settle(order=order, actor=actor):
            paid = True
    return paid


def holds_expire(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Expire unpaid holds that have passed. Returns how many were expired.

    Billing drives this: before appointments expires a hold, the payment channel is asked
    whether the order was paid after all (a network call, so outside any transaction); if
    it was, the payment path books it. A channel outage must not keep seats hostage: the
    hold expires anyway and a late payment is then refunded or re-takes a free seat.
    """
    now = now or timezone.now()
    actor = Actor.system()
    expired = 0
    for appointment in appointment_holds_due(now=now)[:limit]:
        try:
            if payment_settle_before_expiry(appointment=appointment):
                continue
        except Exception:
            logger.exception(
                "payment query failed for appointment %s; expiring it", appointment.pk
            )
        if appointment_expire(actor=actor, appointment_id=appointment.pk, now=now):
            expired += 1
    return expired
