"""Accounts' periodic jobs, registered in AccountsConfig.ready (see common/periodic.py)."""

from common.periodic import PeriodicJob

PERIODIC_JOBS = (
    PeriodicJob(
        name="Prune revoked login sessions",
        task="accounts.tasks.revoked_login_sessions_prune",
        minute="17",  # hourly
        description="Forget logged-out sessions whose tokens have all expired.",
    ),
)
