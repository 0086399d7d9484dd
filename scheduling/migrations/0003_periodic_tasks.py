"""Create the periodic jobs in django-celery-beat's database schedule.

The list is frozen here (not imported from scheduling.periodic) so this migration keeps
doing what it did when later code changes; `manage.py setup_periodic_tasks` applies the
current list.
"""

from django.db import migrations
from django.utils import timezone

TIME_ZONE = "Asia/Shanghai"
JOBS = [
    # (name, task, minute, description)
    (
        "Generate clinic sessions",
        "scheduling.tasks.sessions_generate",
        "30",  # minute 30 of every hour, including 00:30
        "Create sessions from weekly templates up to the window end + 1 day.",
    ),
    (
        "Release clinic sessions",
        "scheduling.tasks.sessions_release",
        "*",  # every minute
        "Mark sessions past their release time as released; refresh caches.",
    ),
    (
        "Expire unpaid holds",
        "appointments.tasks.appointments_expire_holds",
        "*",  # every minute
        "Cancel unpaid appointments whose hold has expired; free the seats.",
    ),
    (
        "Mark no-shows",
        "appointments.tasks.sessions_mark_no_shows",
        "*/15",  # every 15 minutes
        "Mark booked appointments of finished sessions as no-shows.",
    ),
]


def create_jobs(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, task, minute, description in JOBS:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour="*",
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=TIME_ZONE,
        )
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={"task": task, "crontab": crontab, "description": description},
        )
    # What PeriodicTask.save() does: tell a running beat to reload its schedule.
    PeriodicTasks.objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def delete_jobs(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[job[0] for job in JOBS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_session_is_released"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_jobs, delete_jobs)]
