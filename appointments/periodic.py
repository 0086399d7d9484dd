"""Appointments' periodic jobs, registered in AppointmentsConfig.ready (see common/periodic.py)."""

from common.periodic import PeriodicJob

PERIODIC_JOBS = (
    PeriodicJob(
        name="Mark no-shows",
        task="appointments.tasks.sessions_mark_no_shows",
        minute="*/15",  # every 15 minutes
        description="Mark booked appointments of finished sessions as no-shows.",
    ),
    PeriodicJob(
        name="Send pending notifications",
        task="appointments.tasks.notifications_sweep",
        minute="*",  # every minute
        description="Send notifications still pending after a while (broker or worker outage); free stuck ones.",
    ),
    PeriodicJob(
        name="Plan and send visit reminders",
        task="appointments.tasks.reminders_sweep",
        minute="*",  # every minute: reminder times are to the minute
        description="Plan visit reminders, turn due ones into notifications; warn of holds about to expire.",
    ),
)
