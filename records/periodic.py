"""Records' periodic jobs, registered in RecordsConfig.ready (see common/periodic.py)."""

from common.periodic import PeriodicJob

PERIODIC_JOBS = (
    PeriodicJob(
        name="Lock medical records",
        task="records.tasks.records_auto_lock",
        minute="*/10",  # every 10 minutes
        description="Lock record drafts RECORD_AUTO_LOCK_HOURS after the visit.",
    ),
)
