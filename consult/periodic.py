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
        name="Close idle consults",
        task="consult.tasks.idle_consults_close",
        minute="*/10",  # every 10 minutes
        description="Close consults with no message for CONSULT_IDLE_CLOSE_HOURS.",
    ),
)
