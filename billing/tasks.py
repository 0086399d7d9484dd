"""Billing tasks: thin wrappers that load rows and call a service. Retries live here."""

import datetime

from celery import shared_task
from django.utils import timezone

from appointments.models import Appointment
from billing.events import OrderToSettle, RefundToSend
from billing.models import PaymentOrder, Refund
from billing.payables import payable_handler
from billing.services import audit, refunds, settlement
from common.errors import ServiceUnavailable
from common.services import Actor
from common.tasks import enqueue

REFUND_MAX_RETRIES = 5
SYNC_AFTER = datetime.timedelta(minutes=5)


def _backoff(retries: int) -> int:
    return min(600, 30 * 2**retries)  # 30 s, 60 s, 2 min, 4 min, 8 min, 10 min


def _retry_later(task, exc: Exception) -> None:
    """Schedule a retry and end this run normally.

    throw=False because tasks run inline when there is no broker (development, tests):
    there a raised Retry would reach the request that committed the change. Inline, nothing
    is scheduled; refunds_sync_pending picks the refund up again later.
    """
    task.retry(exc=exc, countdown=_backoff(task.request.retries), throw=False)


@shared_task(bind=True, max_retries=REFUND_MAX_RETRIES, acks_late=True)
def refund_submit(self, refund_id: int) -> None:
    """Send a refund to its channel; after the last retry it is marked failed for staff."""
    refund = Refund.objects.filter(pk=refund_id).first()
    if refund is None:
        return
    try:
        refunds.refund_submit(refund=refund)
    except ServiceUnavailable as exc:
        if self.request.retries >= self.max_retries:
            refunds.refund_mark_failed(
                refund=refund,
                reason=f"channel unavailable: {getattr(exc, 'detail', exc)}",
            )
            return
        _retry_later(self, exc)


@shared_task(bind=True, max_retries=3, acks_late=True)
def order_settle(self, order_id: int) -> None:
    """Settle an open order with its channel (paid: record it; unpaid: close it)."""
    order = PaymentOrder.objects.filter(pk=order_id).first()
    if order is None:
        return
    try:
        settlement.order_settle(order=order, actor=Actor.system())
    except ServiceUnavailable as exc:
        if self.request.retries < self.max_retries:
            _retry_later(self, exc)


@shared_task
def refunds_sync_pending() -> int:
    """Ask the channels about refunds still in flight a while after they were sent.

    Meant for celery beat (every 10 minutes). Returns how many were asked about.
    """
    due = Refund.objects.filter(
        status=Refund.Status.REFUNDING, submitted_at__lte=timezone.now() - SYNC_AFTER
    ).order_by("pk")[:200]
    asked = 0
    for refund in due:
        try:
            refunds.refund_sync(refund=refund)
        except ServiceUnavailable:
            continue  # asked again on the next run
        asked += 1
    return asked


@shared_task
def orders_settle_abandoned() -> int:
    """Settle open orders nobody will pay any more: the appointment (or other payable) was
    cancelled or paid another way, or its hold ended a while ago (the expiry job settles
    the rest).

    Meant for celery beat (every 10 minutes). A payment that raced the cancel is found and
    recorded (then refunded); the others are closed at the channel. Returns how many closed.
    """
    stale = timezone.now() - SYNC_AFTER
    due = (
        PaymentOrder.objects.filter(
            status=PaymentOrder.Status.CREATED, kind=PaymentOrder.Kind.APPOINTMENT
        )
        .exclude(
            appointment__status=Appointment.Status.PENDING_PAYMENT,
            appointment__hold_expires_at__gt=stale,
        )
        .order_by("pk")[:200]
    )
    # Another app's payable: its owner says whether it still waits for the payment.
    others = [
        order
        for order in PaymentOrder.objects.filter(
            status=PaymentOrder.Status.CREATED, created_at__lte=stale
        )
        .exclude(kind=PaymentOrder.Kind.APPOINTMENT)
        .order_by("pk")[:200]
        if not payable_handler(order.kind).is_awaiting_payment(order.ref_id)
    ]
    closed = 0
    for order in [*due, *others]:
        try:
            if not settlement.order_settle(order=order, actor=Actor.system()):
                closed += 1
        except ServiceUnavailable:
            continue  # tried again on the next run
    return closed


@shared_task
def holds_expire() -> int:
    """Expire passed unpaid holds, asking each channel first (billing drives the flow)."""
    return settlement.holds_expire()


# Queued after commit by billing's own events (subscribed in billing/apps.py).


def refund_to_send_queue(event: RefundToSend) -> None:
    enqueue(refund_submit, event.refund_id)


def order_to_settle_queue(event: OrderToSettle) -> None:
    enqueue(order_settle, event.order_id)


@shared_task
def payments_audit(day: str | None = None) -> None:
    """The daily abnormal-payment audit of `day` (ISO date; default yesterday, local)."""
    if day is None:
        date = timezone.localdate() - datetime.timedelta(days=1)
    else:
        date = datetime.date.fromisoformat(day)
    audit.payments_audit_run(day=date)
