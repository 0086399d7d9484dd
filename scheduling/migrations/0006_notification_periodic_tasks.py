"""Add the notification jobs to the beat schedule (frozen list, as in 0003)."""

from django.db import migrations
from django.utils import timezone

TIME_ZONE = "Asia/Shanghai"
JOBS = [
    # (name, task, minute, description)
    (
        "Send pending notifications",
        "appointments.tasks.notifications_sweep",
        "*",  # every minute
        "Send notifications still pending after a while (broker or worker outage); free stuck ones.",
    ),
    (
        "Plan and send visit reminders",
        "appointments.tasks.reminders_sweep",
        "*",  # every minute: reminder times are to the minute
        "Plan visit reminders, turn due ones into notifications; warn of holds about to expire.",
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
        ("scheduling", "0005_booking_rule_reminders"),
    ]

    operations = [migrations.RunPython(create_jobs, delete_jobs)]
