"""Analytics' periodic jobs, registered in AnalyticsConfig.ready (see common/periodic.py)."""

from common.periodic import PeriodicJob

PERIODIC_JOBS = (
    PeriodicJob(
        name="Score unscored bookings",
        task="analytics.tasks.unscored_bookings_score",
        minute="*/10",  # every 10 minutes
        description="Give recent bookings the no-show risk their queued scoring missed (broker or worker outage).",
    ),
)
