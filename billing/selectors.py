"""Reads for billing: the member discount, and orders scoped to the user who asks."""

from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from accounts.selectors import member_privileges_for_user
from billing.errors import ErrorCode
from billing.models import PaymentOrder, Refund
from common.errors import NotFound


def discount_rate_for_user(*, user: User) -> Decimal:
    """The share of the fee the user pays (1 = no discount), from their member level."""
    return member_privileges_for_user(user=user).discount_rate


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
