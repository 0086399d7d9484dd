"""The daily abnormal-payment audit (安全审计): rules over one day's payments.

Each rule reads one local day (Asia/Shanghai) of orders, refunds and the operation log and
names its hits; each hit is stored once as a PaymentAlert (unique per rule, subject and
day, so a rerun adds nothing) and written to the operation log. The thresholds are
settings (PAYMENTS_AUDIT_*). Nothing here changes a payment: the report is for staff.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from billing.models import PaymentAlert, PaymentLedgerEntry, PaymentOrder, Refund
from common.models import OperationLog
from common.services import Actor, operation_log_write

logger = logging.getLogger(__name__)

Rule = PaymentAlert.Rule
# Refunds whose amount the rules set (everything paid, or everything left): a full refund
# of these is the normal case. A staff or "other" refund's amount is chosen by a person.
CHOSEN_AMOUNT_KINDS = (Refund.Kind.STAFF, Refund.Kind.OTHER)
ORDER_LOG_TYPE = PaymentOrder._meta.label_lower


@dataclass(frozen=True)
class AuditHit:
    rule: str
    subject: str
    hospital_ids: frozenset[int]
    detail: str
    user_id: int | None = None
    order_id: int | None = None
    ip: str | None = None
    count: int = 1
    amount: int | None = None


@dataclass
class AuditSummary:
    day: datetime.date
    hits: dict[str, int] = field(default_factory=dict)  # rule -> hits found
    new: int = 0  # alerts stored by this run (a rerun stores none)

    @property
    def total(self) -> int:
        return sum(self.hits.values())


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The local day as [start, end) aware datetimes."""
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return start, end


def _orders(ids) -> QuerySet:
    return PaymentOrder.objects.filter(pk__in=ids)


# -- the rules -------------------------------------------------------------------------


def amount_mismatches(day: datetime.date) -> Iterator[AuditHit]:
    """Payments reported with another amount than the order's (refused, or booked)."""
    start, end = day_bounds(day)
    refused = defaultdict(int)
    for object_id in OperationLog.objects.filter(
        action="billing.payment_amount_refused",
        object_type=ORDER_LOG_TYPE,
        created_at__gte=start,
        created_at__lt=end,
    ).values_list("object_id", flat=True):
        if object_id.isdigit():
            refused[int(object_id)] += 1
    booked = set(
        PaymentLedgerEntry.objects.filter(
            kind=PaymentLedgerEntry.Kind.PAYMENT,
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(amount=F("order__amount"))
        .values_list("order_id", flat=True)
    )
    for order in _orders(set(refused) | booked).order_by("pk"):
        count = refused.get(order.pk, 0) + (order.pk in booked)
        yield AuditHit(
            rule=Rule.AMOUNT_MISMATCH,
            subject=f"order:{order.pk}",
            hospital_ids=frozenset({order.hospital_id}),
            user_id=order.user_id,
            order_id=order.pk,
            count=count,
            amount=order.amount,
            detail=f"{order.out_trade_no}: {count} payment report(s) with another "
            f"amount than {order.amount} fen",
        )


def failed_payments(day: datetime.date) -> Iterator[AuditHit]:
    """Accounts and IP addresses whose payment orders were closed unpaid, repeatedly."""
    start, end = day_bounds(day)
    closed = list(
        PaymentOrder.objects.filter(
            status=PaymentOrder.Status.CLOSED, closed_at__gte=start, closed_at__lt=end
        ).values_list("pk", "user_id", "hospital_id")
    )
    by_user: dict[int, list[tuple[int, int]]] = defaultdict(list)
    hospital_of = {}
    for order_id, user_id, hospital_id in closed:
        by_user[user_id].append((order_id, hospital_id))
        hospital_of[order_id] = hospital_id
    for user_id, orders in sorted(by_user.items()):
        if len(orders) >= settings.PAYMENTS_AUDIT_FAILED_PER_ACCOUNT:
            yield AuditHit(
                rule=Rule.FAILED_PER_ACCOUNT,
                subject=f"user:{user_id}",
                hospital_ids=frozenset(h for _, h in orders),
                user_id=user_id,
                count=len(orders),
                detail=f"{len(orders)} payment orders closed unpaid",
            )
    by_ip: dict[str, set[int]] = defaultdict(set)
    for ip, object_id in OperationLog.objects.filter(
        action="billing.order_create",
        object_type=ORDER_LOG_TYPE,
        object_id__in=[str(pk) for pk in hospital_of],
        ip__isnull=False,
    ).values_list("ip", "object_id"):
        by_ip[ip].add(int(object_id))
    for ip, order_ids in sorted(by_ip.items()):
        if len(order_ids) >= settings.PAYMENTS_AUDIT_FAILED_PER_IP:
            yield AuditHit(
                rule=Rule.FAILED_PER_IP,
                subject=f"ip:{ip}",
                hospital_ids=frozenset(hospital_of[pk] for pk in order_ids),
                ip=ip,
                count=len(order_ids),
                detail=f"{len(order_ids)} payment orders closed unpaid",
            )


def refunds_near_payment(day: datetime.date) -> Iterator[AuditHit]:
    """Orders refunded over their payment, or a person-chosen refund close to all of it."""
    start, end = day_bounds(day)
    order_ids = set(
        Refund.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
            "order_id", flat=True
        )
    )
    percent = settings.PAYMENTS_AUDIT_REFUND_NEAR_PERCENT
    for order in _orders(order_ids).prefetch_related("refunds").order_by("pk"):
        refunds = [r for r in order.refunds.all() if r.status != Refund.Status.FAILED]
        total = sum(r.amount for r in refunds)
        chosen = [
            r
            for r in refunds
            if r.kind in CHOSEN_AMOUNT_KINDS and start <= r.created_at < end
        ]
        is_over = total > order.amount
        is_near = bool(chosen) and total * 100 >= order.amount * percent
        if not (is_over or is_near):
            continue
        yield AuditHit(
            rule=Rule.REFUND_NEAR_PAYMENT,
            subject=f"order:{order.pk}",
            hospital_ids=frozenset({order.hospital_id}),
            user_id=order.user_id,
            order_id=order.pk,
            count=len(refunds),
            amount=total,
            detail=f"{order.out_trade_no}: refunds {total} of {order.amount} fen"
            + (" (over the payment)" if is_over else ""),
        )


def order_bursts(day: datetime.date) -> Iterator[AuditHit]:
    """Accounts opening many payment orders within a few minutes."""
    start, end = day_bounds(day)
    window = datetime.timedelta(minutes=settings.PAYMENTS_AUDIT_BURST_MINUTES)
    threshold = settings.PAYMENTS_AUDIT_BURST_ORDERS
    by_user: dict[int, list[tuple[datetime.datetime, int]]] = defaultdict(list)
    for created_at, user_id, hospital_id in PaymentOrder.objects.filter(
        created_at__gte=start, created_at__lt=end
    ).values_list("created_at", "user_id", "hospital_id"):
        by_user[user_id].append((created_at, hospital_id))
    for user_id, orders in sorted(by_user.items()):
        orders.sort()
        best, first = 0, 0
        for last in range(len(orders)):  # the widest run within the window
            while orders[last][0] - orders[first][0] > window:
                first += 1
            best = max(best, last - first + 1)
        if best >= threshold:
            yield AuditHit(
                rule=Rule.ORDER_BURST,
                subject=f"user:{user_id}",
                hospital_ids=frozenset(h for _, h in orders),
                user_id=user_id,
                count=best,
                detail=f"{best} payment orders within {window.seconds // 60} minutes",
            )


RULES: tuple[Callable[[datetime.date], Iterator[AuditHit]], ...] = (
    amount_mismatches,
    failed_payments,
    refunds_near_payment,
    order_bursts,
)


# -- the run ---------------------------------------------------------------------------


@transaction.atomic
def payment_alert_record(*, hit: AuditHit, day: datetime.date) -> bool:
    """Store one hit and log it; False (nothing written) when it was stored before."""
    hospital_id = next(iter(hit.hospital_ids)) if len(hit.hospital_ids) == 1 else None
    alert, created = PaymentAlert.objects.get_or_create(
        rule=hit.rule,
        subject=hit.subject,
        day=day,
        defaults={
            "hospital_id": hospital_id,
            "user_id": hit.user_id,
            "order_id": hit.order_id,
            "ip": hit.ip,
            "count": hit.count,
            "amount": hit.amount,
            "detail": hit.detail[:255],
        },
    )
    if created:
        operation_log_write(
            actor=Actor.system(),
            action="billing.payment_alert",
            obj=alert,
            summary=f"{day} {hit.rule} {hit.subject}: {hit.detail}",
        )
    return created


def payments_audit_run(
    *,
    day: datetime.date,
    progress: Callable[[int, int], None] | None = None,
) -> AuditSummary:
    """Run every rule over `day` and store the hits. Safe to run again (adds nothing)."""
    summary = AuditSummary(day=day, hits={rule: 0 for rule in Rule.values})
    for done, rule in enumerate(RULES, start=1):
        for hit in rule(day):
            summary.hits[hit.rule] += 1
            summary.new += payment_alert_record(hit=hit, day=day)
        if progress is not None:
            progress(done, len(RULES))
    if summary.total:
        logger.warning("payments audit %s: %s", day, summary.hits)
    return summary
