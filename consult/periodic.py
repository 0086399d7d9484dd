"""Consult's periodic jobs, registered in ConsultConfig.ready (see common/periodic.py)."""

from common.periodic import PeriodicJob

PERIODIC_JOBS = (
    PeriodicJob(
        name="Cancel unanswered consults",
        task="consult.tasks.overdue_consults_cancel",
        minute="*/5",  # every 5 minutes
        description="Cancel waiting online consults past the doctor's reply deadline.",
    ),
    PeriodicJob(
        name="Cancel unpaid consults",
        task="consult.tasks.unpaid_consults_expire",
        minute="*",  # every minute
        # Asks the payment channel first, as billing's hold expiry does for appointments.
        description="Cancel online consults not paid within CONSULT_PAYMENT_MINUTES; "
        "give their places back.",
    ),
    PeriodicJob(
        name="Close idle consults",
        task="consult.tasks.idle_consults_close",
        minute="*/10",  # every 10 minutes
        description="Close consults with no message for CONSULT_IDLE_CLOSE_HOURS.",
    ),
)
