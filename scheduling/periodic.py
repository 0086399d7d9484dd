"""The periodic jobs, kept in django-celery-beat's database schedule.

Beat uses the DatabaseScheduler, so staff can pause or retime a job in the admin. The data
migration 0003 creates these rows; `manage.py setup_periodic_tasks` puts them back to
these values (after a reset, or when this list changes). Crontabs are in the hospital's
time zone.
"""

from dataclasses import dataclass

from django.db import transaction

TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str
    minute: str
    hour: str = "*"
    description: str = ""


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
    ),
    PeriodicJob(
        name="Expire unpaid holds",
        task="billing.tasks.holds_expire",
        minute="*",  # every minute
        description="Cancel unpaid appointments whose hold has expired; free the seats.",
    ),
    PeriodicJob(
        name="Mark no-shows",
        task="appointments.tasks.sessions_mark_no_shows",
        minute="*/15",  # every 15 minutes
        description="Mark booked appointments of finished sessions as no-shows.",
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


@transaction.atomic
def periodic_tasks_setup(*, crontab_model=None, task_model=None) -> tuple[int, int]:
    """Create or update the rows of PERIODIC_JOBS. Returns (created, updated).

    Rows already matching are left alone, so a second run changes nothing. `enabled` is
    only set on creation: pausing a job in the admin survives a rerun. The models can be
    passed in for a data migration's historical models.
    """
    if crontab_model is None or task_model is None:
        from django_celery_beat.models import CrontabSchedule, PeriodicTask

        crontab_model, task_model = CrontabSchedule, PeriodicTask
    created = updated = 0
    for job in PERIODIC_JOBS:
        crontab, _ = crontab_model.objects.get_or_create(
            minute=job.minute,
            hour=job.hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=TIME_ZONE,
        )
        wanted = {
            "task": job.task,
            "crontab": crontab,
            "interval": None,
            "solar": None,
            "clocked": None,
            "description": job.description,
        }
        task = task_model.objects.filter(name=job.name).first()
        if task is None:
            task_model.objects.create(name=job.name, enabled=True, **wanted)
            created += 1
            continue
        changed = [
            field for field, value in wanted.items() if getattr(task, field) != value
        ]
        if changed:
            for field in changed:
                setattr(task, field, wanted[field])
            task.save()
            updated += 1
    return created, updated
