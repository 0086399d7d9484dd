"""Refunds: requested once per paid order and kind, sent to the channel, recorded.

Never more than was paid (checked under the order's row lock and by the database). The
channel call runs outside any transaction: refund_create commits the refund and queues
refund_submit, which asks the channel and records its answer.
"""

import logging
import re
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.members import points_apply
from accounts.models import PointsEntry
from accounts.selectors import points_applied_for_sources
from appointments.models import Appointment
from appointments.notifications.delivery import notification_create
from appointments.notifications.messages import refund_context
from billing.errors import ErrorCode
from billing.events import RefundToSend
from billing.gateways import gateway_for
from billing.gateways.base import ChannelRefundState, ChannelRejected
from billing.models import PaymentLedgerEntry, PaymentOrder, Refund
from billing.payables import order_payable_lock, payable_handler
from common.errors import Conflict, Unprocessable
from common.events import publish
from common.money import apply_rate, fen_to_yuan
from common.services import Actor, operation_log_write

logger = logging.getLogger(__name__)

OrderStatus = PaymentOrder.Status
RefundStatus = Refund.Status


_REASON_KIND = re.compile(r"[a-z_]+")


def refund_kind_for_reason(reason: str) -> str:
    """ "cancel:patient" -> "cancel", "stop_clinic" -> "stop_clinic"; unknown -> "other"."""
    prefix = reason.split(":", 1)[0].strip()  # pragma: no mutate
    if _REASON_KIND.fullmatch(prefix) and prefix in Refund.Kind.values:
        return prefix
    return Refund.Kind.OTHER


def out_refund_no_for(*, order: PaymentOrder, kind: str) -> str:
    """Fixed per (order, kind), so a retried request can never refund twice."""
    return f"{order.out_trade_no}-{kind}"


def appointment_refund_request(
    *, appointment: Appointment, actor: Actor, reason: str
) -> Refund | None:
    """Refund what was paid for `appointment`. The one refund entry point for bookings.

    `reason` starts with its kind ("cancel:patient", "stop_clinic"); one refund per paid
    order and kind, so asking again returns the first refund instead of paying twice.
    Returns None when nothing was paid, or everything paid was already refunded. The refund
    is sent to the channel after the caller's transaction commits. A booking paid in two
    orders (a reschedule's top-up) has each refunded; the first refund is returned.
    """
    refunds = appointment_refunds_request(
        appointment=appointment, actor=actor, reason=reason
    )
    return refunds[0] if refunds else None


def appointment_refunds_request(
    *, appointment: Appointment, actor: Actor, reason: str
) -> list[Refund]:
    """appointment_refund_request's refunds, one per paid order with money left on it."""
    with transaction.atomic():
        kind = refund_kind_for_reason(reason)
        orders = list(
            PaymentOrder.objects.filter(
                appointment=appointment, status__in=PaymentOrder.PAID_STATUSES
            ).order_by("paid_at", "pk")
        )
        existing = list(
            Refund.objects.filter(order__in=orders, kind=kind).order_by("pk")
        )
        if existing:
            return existing
        return [
            refund_create(order=order, actor=actor, kind=kind, reason=reason)
            for order in orders
            if order.refundable_amount > 0
        ]


def payable_refunds_request(
    *, kind: str, ref_id: int, actor: Actor, reason: str
) -> list[Refund]:
    """Refund in full what was paid for a higher app's payable (billing.payables).

    As appointment_refunds_request: `reason` starts with the refund's kind
    ("consult_cancel:overdue"), one refund per paid order and kind, so asking again
    returns the first refunds instead of paying twice. The owner calls it in the
    transaction that cancels the payable, after locking the payable's row.
    """
    with transaction.atomic():
        kind_of_refund = refund_kind_for_reason(reason)
        orders = list(
            PaymentOrder.objects.filter(
                kind=kind, ref_id=ref_id, status__in=PaymentOrder.PAID_STATUSES
            ).order_by("paid_at", "pk")
        )
        existing = list(
            Refund.objects.filter(order__in=orders, kind=kind_of_refund).order_by("pk")
        )
        if existing:
            return existing
        return [
            refund_create(order=order, actor=actor, kind=kind_of_refund, reason=reason)
            for order in orders
            if order.refundable_amount > 0
        ]


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
    with transaction.atomic():
        order = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if order.status not in PaymentOrder.PAID_STATUSES:
            raise Conflict(ErrorCode.ORDER_NOT_PAID, _("This order has not been paid."))
        if Refund.objects.filter(order=order, kind=kind).exists():
            raise Conflict(
                ErrorCode.REFUND_ALREADY_REQUESTED,
                _("A refund of this kind was already requested for this order."),
            )
        remaining = order.refundable_amount
        if remaining <= 0:
            raise Conflict(
                ErrorCode.NOTHING_TO_REFUND, _("Everything paid was already refunded.")
            )
        amount = remaining if amount is None else amount
        if amount < 1:
            raise Unprocessable(
                ErrorCode.INVALID_REFUND_AMOUNT, _("Refund at least 0.01 yuan.")
            )
        if amount > remaining:
            raise Unprocessable(
                ErrorCode.REFUND_EXCEEDS_PAYMENT,
                _("At most %(yuan)s yuan can be refunded.")
                % {"yuan": fen_to_yuan(remaining)},
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
                ErrorCode.REFUND_EXCEEDS_PAYMENT, _("The refund exceeds the payment.")
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
        publish(RefundToSend(refund_id=refund.pk))
        return refund


def _refund_attempt_start(*, refund: Refund) -> bool:
    with transaction.atomic():
        started = Refund.objects.filter(
            pk=refund.pk, status=RefundStatus.REFUNDING
        ).update(
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
        state = gateway_for(refund.order.channel).refund(refund)
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
    state = gateway_for(refund.order.channel).refund_query(refund)
    if state is None:
        return refund_submit(refund=refund)  # the channel never got it: send it now
    return refund_apply_channel_state(refund=refund, state=state, actor=Actor.system())


def refund_apply_channel_state(
    *, refund: Refund, state: ChannelRefundState, actor: Actor
) -> Refund:
    """Record what the channel says about a refund (API answer, query or notification).

    Locks the appointment's (or payable's) row, then the order's, as a payment and a cancel
    take them: the
    refund notice's insert re-checks its foreign key to the appointment (a shared lock),
    which would deadlock with a cancel of the booking holding that row and waiting for the
    order."""
    with transaction.atomic():
        order_payable_lock(
            order=PaymentOrder.objects.only("kind", "appointment_id", "ref_id").get(
                pk=refund.order_id
            )
        )
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


def refund_mark_failed(*, refund: Refund, reason: str) -> Refund:
    """Give up on a refund the channel never answered (the task ran out of retries)."""
    with transaction.atomic():
        return refund_apply_channel_state(
            refund=refund,
            state=ChannelRefundState(
                status=RefundStatus.FAILED, channel_refund_id=None, failure=reason
            ),
            actor=Actor.system(),
        )


def refund_retry(*, refund: Refund, actor: Actor) -> Refund:
    """Staff send a failed refund again (same out_refund_no: the channel pays it once)."""
    with transaction.atomic():
        moved = Refund.objects.filter(pk=refund.pk, status=RefundStatus.FAILED).update(
            status=RefundStatus.REFUNDING, updated_at=timezone.now()
        )
        if moved != 1:
            raise Conflict(
                ErrorCode.REFUND_NOT_FAILED, _("Only a failed refund can be retried.")
            )
        refund.refresh_from_db()
        operation_log_write(
            actor=actor,
            action="billing.refund_retry",
            obj=refund,
            summary=refund.failure_reason,
        )
        publish(RefundToSend(refund_id=refund.pk))
        return refund


def refund_create_by_staff(*, order: PaymentOrder, actor: Actor) -> Refund:
    """A staff refund of everything left on the order (admin action)."""
    with transaction.atomic():
        return refund_create(
            order=order,
            actor=actor,
            kind=Refund.Kind.STAFF,
            reason=f"refunded by staff {getattr(actor.user, 'username', '')}".strip(),
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


def refund_notify(*, refund: Refund) -> None:
    """Tell the payer that a refund reached them (once per refund; when its success is
    recorded). Written to appointments' notification outbox like every patient message."""
    order = refund.order
    if order.appointment_id is None:
        payable_handler(order.kind).refund_done(order.ref_id, refund)
        return
    appointment = order.appointment
    notification_create(
        user_id=order.user_id,
        event="refund_done",
        dedupe_key=f"refund:{refund.pk}:refund_done",
        context=refund_context(appointment=appointment, amount=refund.amount),
        appointment_id=appointment.pk,
        profile_id=appointment.profile_id,
    )
