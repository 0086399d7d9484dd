"""Scheduling's periodic jobs, registered in SchedulingConfig.ready (see common/periodic.py)."""

from common.periodic import PeriodicJob

PERIODIC_JOBS = (
    PeriodicJob(
        name="Generate clinic sessions",
        task="scheduling.tasks.sessions_generate",
        # At minute 30 of every hour, including 00:30: the daily run just after midnight
        # creates the day that enters the window; the other runs pick up template edits
        # within the hour. Idempotent, so the repeats cost one query per run.
        minute="30",
        description="Create sessions from weekly templates up to the window end + 1 day.",
    ),
    PeriodicJob(
        name="Release clinic sessions",
        task="scheduling.tasks.sessions_release",
        minute="*",  # every minute: release times are to the minute
        description="Mark sessions past their release time as released; refresh caches.",
        period_seconds=60,  # watched: /health/ says "overdue" when it stops succeeding
    ),
)
