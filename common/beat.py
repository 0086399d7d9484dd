"""The registered periodic jobs (common.periodic) in django-celery-beat's database schedule.

`periodic_tasks_setup` puts the rows back to the registered values; it runs after every
`migrate` (common's post_migrate handler, below) and from `manage.py setup_periodic_tasks`.
"""

import sys

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from common.periodic import TIME_ZONE, periodic_jobs


def periodic_tasks_setup(*, using: str = DEFAULT_DB_ALIAS) -> tuple[int, int]:
    """Create or update the rows of the registered jobs. Returns (created, updated).

    Rows already matching are left alone, so a second run changes nothing. `enabled` is
    only set on creation: pausing a job in the admin survives a rerun. Rows of jobs no
    longer registered are left for staff to delete.
    """
    created = updated = 0
    with transaction.atomic(using=using):
        for job in periodic_jobs():
            crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
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
            task = PeriodicTask.objects.using(using).filter(name=job.name).first()
            if task is None:
                PeriodicTask.objects.db_manager(using).create(
                    name=job.name, enabled=True, **wanted
                )
                created += 1
                continue
            changed = [
                field
                for field, value in wanted.items()
                if getattr(task, field) != value
            ]
            if changed:
                for field in changed:
                    setattr(task, field, wanted[field])
                task.save(using=using)
                updated += 1
    return created, updated


def _last_migrated_app():
    """The app whose post_migrate signal comes last (migrate sends one per app with models)."""
    with_models = [
        config
        for config in global_apps.get_app_configs()
        if config.models_module is not None
    ]
    return with_models[-1] if with_models else None


def periodic_tasks_sync_after_migrate(
    sender, *, using: str = DEFAULT_DB_ALIAS, verbosity: int = 1, stdout=None, **kwargs
) -> None:
    """post_migrate handler: sync the schedule once per migrate, after the last app.

    Does nothing while django-celery-beat's tables are missing (its migrations not applied
    yet, or unapplied down to zero).
    """
    if sender is not _last_migrated_app():
        return
    tables = set(connections[using].introspection.table_names())
    if not {CrontabSchedule._meta.db_table, PeriodicTask._meta.db_table} <= tables:
        return
    created, updated = periodic_tasks_setup(using=using)
    if verbosity >= 2 or (verbosity >= 1 and (created or updated)):
        (stdout or sys.stdout).write(
            f"Periodic tasks: {created} created, {updated} updated.\n"
        )
