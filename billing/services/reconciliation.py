"""Reconciliation: one day's channel bill against our paid orders and refunds."""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.bills import PAYMENT, REFUND, BillError, BillRow
from billing.models import PaymentOrder, ReconciliationReport, Refund
from common.services import Actor, operation_log_write

RefundStatus = Refund.Status


@dataclass
class ReconciliationResult:
    matched: int = 0
    missing_locally: list[dict] = field(default_factory=list)
    missing_at_channel: list[dict] = field(default_factory=list)
    amount_mismatches: list[dict] = field(default_factory=list)


def _local_day(date: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(date, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def reconciliation_match(
    *, channel: str, date: datetime.date, rows: list[BillRow], progress=None
) -> ReconciliationResult:
    """Match one day's bill rows with our paid orders and refunds (reads only).

    A bill row without a paid order or a live refund here is "missing locally" (money moved
    that we did not record); an order paid, or a refund sent, on that day that the bill
    does not list is "missing at the channel". `progress(done, total)` is called per row.
    """
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if (row.kind, row.key) in seen:
            raise BillError(row.line, f"{row.key} appears twice")
        seen.add((row.kind, row.key))

    result = ReconciliationResult()
    orders = {
        order.out_trade_no: order
        for order in PaymentOrder.objects.filter(
            channel=channel,
            out_trade_no__in=[r.out_trade_no for r in rows if r.kind == PAYMENT],
        )
    }
    refunds = {
        refund.out_refund_no: refund
        for refund in Refund.objects.filter(
            order__channel=channel,
            out_refund_no__in=[r.out_refund_no for r in rows if r.kind == REFUND],
        )
    }
    for done, row in enumerate(rows, start=1):
        if row.kind == PAYMENT:
            order = orders.get(row.out_trade_no)
            local = (
                order.amount
                if order is not None and order.status in PaymentOrder.PAID_STATUSES
                else None
            )
        else:
            refund = refunds.get(row.out_refund_no)
            local = (
                refund.amount
                if refund is not None and refund.status != RefundStatus.FAILED
                else None
            )
        entry = {
            "kind": row.kind,
            "key": row.key,
            "line": row.line,
            "bill_amount": row.amount,
        }
        if local is None:
            result.missing_locally.append(entry)
        elif local != row.amount:
            result.amount_mismatches.append({**entry, "local_amount": local})
        else:
            result.matched += 1
        if progress is not None:
            progress(done, len(rows))

    start, end = _local_day(date)
    billed_payments = {r.out_trade_no for r in rows if r.kind == PAYMENT}
    for order in PaymentOrder.objects.filter(
        channel=channel, paid_at__gte=start, paid_at__lt=end
    ).order_by("paid_at", "pk"):
        if order.out_trade_no not in billed_payments:
            result.missing_at_channel.append(
                {
                    "kind": PAYMENT,
                    "key": order.out_trade_no,
                    "local_amount": order.amount,
                }
            )
    billed_refunds = {r.out_refund_no for r in rows if r.kind == REFUND}
    sent_that_day = Q(succeeded_at__gte=start, succeeded_at__lt=end) | Q(
        status=RefundStatus.REFUNDING, submitted_at__gte=start, submitted_at__lt=end
    )
    for refund in Refund.objects.filter(sent_that_day, order__channel=channel).order_by(
        "pk"
    ):
        if refund.out_refund_no not in billed_refunds:
            result.missing_at_channel.append(
                {
                    "kind": REFUND,
                    "key": refund.out_refund_no,
                    "local_amount": refund.amount,
                }
            )
    return result


@transaction.atomic
def reconciliation_report_save(
    *,
    channel: str,
    date: datetime.date,
    file_name: str,
    result: ReconciliationResult,
    actor: Actor,
) -> ReconciliationReport:
    """Store the day's result: one report per channel and day, replaced on a rerun."""
    report, created = ReconciliationReport.objects.update_or_create(
        channel=channel,
        date=date,
        defaults={
            "file_name": file_name[:255],
            "matched": result.matched,
            "missing_locally": len(result.missing_locally),
            "missing_at_channel": len(result.missing_at_channel),
            "amount_mismatches": len(result.amount_mismatches),
            "details": {
                "missing_locally": result.missing_locally,
                "missing_at_channel": result.missing_at_channel,
                "amount_mismatches": result.amount_mismatches,
            },
        },
    )
    operation_log_write(
        actor=actor,
        action="billing.reconcile",
        obj=report,
        summary=f"{'created' if created else 'updated'}: {report.matched} matched, "
        f"{report.missing_locally} missing here, {report.missing_at_channel} missing at "
        f"the channel, {report.amount_mismatches} amount mismatches",
    )
    return report
