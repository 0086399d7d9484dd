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
        period_seconds=60,  # watched: /health/ says "overdue" when it stops succeeding
    ),
    PeriodicJob(
        name="Release unconfirmed high-risk bookings",
        task="appointments.tasks.unconfirmed_release_sweep",
        minute="*/5",  # every 5 minutes: deadlines are hours before the visit
        description="Where the hospital turned it on, return the seats of unpaid or free high-risk bookings not confirmed by their deadline to the waitlist.",
    ),
    PeriodicJob(
        name="Load and reconcile the seat stock",
        task="appointments.tasks.booking_stock_reconcile",
        minute="*",  # every minute: sessions are loaded an hour before release
        description="Load sessions due into the Redis seat stock (also after a Redis restart) and repair drift against the database.",
    ),
    PeriodicJob(
        name="Release queue upkeep",
        task="appointments.tasks.release_queue_upkeep",
        minute="*",  # every minute: marks must precede the waiting room's opening
        description="Put sessions in the release queue (排队放号) where the doctor's last release was overrun, and write each release's demand.",
    ),
    PeriodicJob(
        name="Write queued booking tickets",
        task="appointments.tasks.booking_tickets_write",
        minute="*",  # every minute: the safety net behind the writer process
        description="Turn booking tickets still queued into appointments or refusals, should the writer process be down.",
    ),
    PeriodicJob(
        name="Lapse rebooking offers",
        task="appointments.tasks.rebooking_offers_lapse",
        minute="*",  # every minute: offers are held for hours, returned within a minute
        description="Close rebooking offers after a stop that were not answered in time and return their seats.",
    ),
)
