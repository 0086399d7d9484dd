"""Billing's periodic jobs, registered in BillingConfig.ready (see common/periodic.py)."""

from common.periodic import PeriodicJob

PERIODIC_JOBS = (
    PeriodicJob(
        name="Expire unpaid holds",
        task="billing.tasks.holds_expire",
        minute="*",  # every minute
        # Billing drives hold expiry: it asks the channel before appointments expire a hold.
        description="Cancel unpaid appointments whose hold has expired; free the seats.",
        period_seconds=60,  # watched: /health/ says "overdue" when it stops succeeding
    ),
    PeriodicJob(
        name="Sync pending refunds",
        task="billing.tasks.refunds_sync_pending",
        minute="*/10",  # every 10 minutes
        description="Ask the channels about refunds still in flight; retry ones that were never sent.",
    ),
    PeriodicJob(
        name="Settle abandoned payment orders",
        task="billing.tasks.orders_settle_abandoned",
        minute="5-59/10",  # every 10 minutes, offset from the refund sync
        description="Close open orders of cancelled or expired appointments; record late payments.",
    ),
    PeriodicJob(
        name="Audit yesterday's payments",
        task="billing.tasks.payments_audit",
        minute="30",
        hour="2",  # at 02:30, after the day's late notifications and refunds
        description="Store and log abnormal payments of the previous day (安全审计).",
    ),
)
