"""The one path by which an order becomes paid: payment_order_mark_paid.

A verified WeChat Pay or Alipay notification, a channel query that finds the order paid,
and the dev gateway all end there, so each is as idempotent and as careful as the others.
The payment then confirms what it pays for: the appointment (appointments' service), or a
higher app's payable through its handler (billing.payables); what cannot take the money
has it refunded in full.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.members import points_apply
from accounts.models import PointsEntry
from appointments.errors import ErrorCode as AppointmentsError
from appointments.models import Appointment
from appointments.services import appointment_mark_paid
from billing.errors import ErrorCode
from billing.models import PaymentLedgerEntry, PaymentOrder, Refund
from billing.payables import order_payable_lock, payable_handler
from billing.services.orders import (
    order_siblings_close_later,
    payable_orders_settle_later,
)
from billing.services.refunds import refund_create
from common.errors import Conflict, DomainError, Unprocessable
from common.services import Actor, operation_log_write

logger = logging.getLogger(__name__)

OrderStatus = PaymentOrder.Status


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
    with transaction.atomic():
        if not transaction_id:
            raise Unprocessable(
                ErrorCode.TRANSACTION_ID_MISSING,
                _("The channel sent no transaction id."),
            )
        if order.appointment_id is not None:
            Appointment.objects.select_for_update().filter(
                pk=order.appointment_id
            ).first()
        else:
            order_payable_lock(order=order)
        locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status in PaymentOrder.PAID_STATUSES:
            if locked.transaction_id != transaction_id:
                # One merchant order number can be paid only once at a channel, so a second
                # transaction id is an anomaly for staff to look into, not money to book:
                # recorded (the audit report lists it), the order left as it is.
                logger.error(
                    "order %s already paid by %s, now reported paid by %s",
                    locked,
                    locked.transaction_id,
                    transaction_id,
                )
                operation_log_write(
                    actor=actor,
                    action="billing.order_paid_again",
                    obj=locked,
                    summary=f"already paid by {locked.transaction_id}, reported paid "
                    f"again by {transaction_id[:64]} ({amount} fen)",
                )
            return locked
        if amount != locked.amount:
            raise Conflict(
                ErrorCode.AMOUNT_MISMATCH,
                _("Paid %(paid)s fen, but the order is %(amount)s fen.")
                % {"paid": amount, "amount": locked.amount},
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
        if (
            moved != 1
        ):  # cannot happen under the row lock; SQLite has none, so stay careful
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
        if locked.appointment_id is None:
            # Another app's payable: no member points for it (billing.payables).
            _payable_confirm(order=locked, actor=actor)
            payable_orders_settle_later(kind=locked.kind, ref_id=locked.ref_id)
            return locked
        first_payment = not (
            PaymentOrder.objects.filter(
                appointment_id=locked.appointment_id,
                status__in=PaymentOrder.PAID_STATUSES,
            )
            .exclude(pk=locked.pk)
            .exists()
        )
        if _appointment_confirm(order=locked, actor=actor) and first_payment:
            _points_award_for_payment(order=locked, actor=actor)  # a top-up earns none
        order_siblings_close_later(order=locked)
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


def _appointment_confirm(*, order: PaymentOrder, actor: Actor) -> bool:
    """Book the appointment the order paid for. False (and a refund) when it cannot be."""
    appointment = Appointment.objects.get(pk=order.appointment_id)
    paid_elsewhere = (
        PaymentOrder.objects.filter(
            appointment_id=order.appointment_id,
            status__in=PaymentOrder.PAID_STATUSES,
        )
        .exclude(pk=order.pk)
        .exists()
    )
    # Another paid order and still awaiting payment: this one is the top-up of a paid
    # booking moved to a dearer slot (a reschedule), not a second payment.
    if paid_elsewhere and appointment.status != Appointment.Status.PENDING_PAYMENT:
        refund_create(
            order=order,
            actor=actor,
            kind=Refund.Kind.DUPLICATE_PAYMENT,
            reason="the appointment was already paid by another order",
        )
        return False
    if (
        appointment.status == Appointment.Status.PENDING_PAYMENT
        and order.original_amount != appointment.fee
    ):
        # paid as the booking was moved to a slot of another fee: this order cannot pay it
        refund_create(
            order=order,
            actor=actor,
            kind=Refund.Kind.NOT_PAYABLE,
            reason=f"fee changed by a reschedule: paid for {order.original_amount}, "
            f"the booking now costs {appointment.fee}",
        )
        return False
    try:
        with transaction.atomic():
            appointment_mark_paid(actor=actor, appointment=appointment)
    except DomainError as exc:
        kind = (
            Refund.Kind.LATE_PAYMENT
            if exc.code == AppointmentsError.SEAT_NO_LONGER_AVAILABLE
            else Refund.Kind.NOT_PAYABLE
        )
        logger.info("order %s paid but not bookable (%s): refunding", order, exc.code)
        refund_create(order=order, actor=actor, kind=kind, reason=f"{exc.code}: {exc}")
        return False
    return True


def _payable_confirm(*, order: PaymentOrder, actor: Actor) -> bool:
    """Hand the payment to the payable's owner. False (and a refund) when it cannot take
    it: paid already through another order, or refused by the owner's handler."""
    paid_elsewhere = (
        PaymentOrder.objects.filter(
            kind=order.kind, ref_id=order.ref_id, status__in=PaymentOrder.PAID_STATUSES
        )
        .exclude(pk=order.pk)
        .exists()
    )
    if paid_elsewhere:
        refund_create(
            order=order,
            actor=actor,
            kind=Refund.Kind.DUPLICATE_PAYMENT,
            reason="already paid by another order",
        )
        return False
    try:
        with transaction.atomic():
            payable_handler(order.kind).paid(order.ref_id, order, actor)
    except DomainError as exc:
        logger.info("order %s paid but not payable (%s): refunding", order, exc.code)
        refund_create(
            order=order,
            actor=actor,
            kind=Refund.Kind.NOT_PAYABLE,
            reason=f"{exc.code}: {exc}",
        )
        return False
    return True
