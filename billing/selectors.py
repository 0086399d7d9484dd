"""Reads for billing: the member discount, and orders scoped to the user who asks."""

from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from accounts.selectors import member_privileges_for_user
from billing.errors import ErrorCode
from billing.models import PaymentOrder, Refund
from common.errors import NotFound
from common.money import apply_rate


def discount_rate_for_user(*, user: User) -> Decimal:
    """The share of the fee the user pays (1 = no discount), from their member level."""
    return member_privileges_for_user(user=user).discount_rate


def appointment_paid_orders(*, appointment_id: int) -> list[PaymentOrder]:
    """The appointment's orders whose money was received, first paid first."""
    return list(
        PaymentOrder.objects.filter(
            appointment_id=appointment_id, status__in=PaymentOrder.PAID_STATUSES
        ).order_by("paid_at", "pk")
    )


def appointment_amount_due(
    *, appointment, discount_rate: Decimal, fee: int | None = None
) -> int:
    """Fen still to pay for the appointment's fee: the fee at the payer's discount, less
    what its paid orders keep (paid less refunded). Negative: that much was overpaid (a
    booking moved to a cheaper slot).

    `fee`, when given, is priced instead of the appointment's own: what the booking would
    owe (or have overpaid) once moved to a slot of that fee (the portal's 改约 quote).

    A booking paid already (then moved to a slot of another fee, a reschedule) keeps the
    discount it was paid at, the first paid order's (amount / fee); otherwise
    `discount_rate`, the payer's member discount today, as a new order gets.
    """
    paid = appointment_paid_orders(appointment_id=appointment.pk)
    if paid:
        rate = Decimal(paid[0].amount) / Decimal(paid[0].original_amount)
    else:
        rate = discount_rate
    kept = sum(order.amount - order.refunded_amount for order in paid)
    return apply_rate(appointment.fee if fee is None else fee, rate) - kept


def payment_order_list_for_user(*, user: User) -> QuerySet[PaymentOrder]:
    return PaymentOrder.objects.filter(user=user).select_related(
        "appointment", "appointment__hospital", "appointment__doctor"
    )


def payment_order_get_for_user(*, user: User, order_id: int) -> PaymentOrder:
    """The user's own order; anyone else's id answers 404, never their data."""
    order = payment_order_list_for_user(user=user).filter(pk=order_id).first()
    if order is None:
        raise NotFound(ErrorCode.PAYMENT_ORDER_NOT_FOUND)
    return order


def refund_list_for_order(*, order: PaymentOrder) -> QuerySet[Refund]:
    return order.refunds.order_by("created_at", "pk")


def payment_order_list_for_appointment(
    *, user: User, appointment_id: int
) -> QuerySet[PaymentOrder]:
    """The user's orders of one of their appointments, oldest first, with their refunds
    (two queries); another user's appointment has none to show."""
    return (
        payment_order_list_for_user(user=user)
        .filter(appointment_id=appointment_id)
        .prefetch_related(Prefetch("refunds", queryset=Refund.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )
