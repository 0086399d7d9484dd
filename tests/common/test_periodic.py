"""The periodic jobs: each app registers its own, and the beat schedule follows the registry."""

from importlib import import_module
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from common import beat
from common.periodic import (
    PeriodicJob,
    periodic_jobs,
    periodic_jobs_of,
    periodic_jobs_register,
)
from config.celery import app as celery_app

APPS_WITH_JOBS = (
    "accounts",
    "scheduling",
    "appointments",
    "billing",
    "records",
    "consult",
    "analytics",
)


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _schedule() -> dict[str, tuple]:
    return {
        task.name: (
            task.task,
            task.crontab.minute,
            task.crontab.hour,
            str(task.crontab.timezone),
            task.enabled,
        )
        for task in PeriodicTask.objects.select_related("crontab").exclude(
            name="celery.backend_cleanup"
        )
    }


EXPECTED = {
    "Cancel unanswered consults": (
        "consult.tasks.overdue_consults_cancel",
        "*/5",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Cancel unpaid consults": (
        "consult.tasks.unpaid_consults_expire",
        "*",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Close idle consults": (
        "consult.tasks.idle_consults_close",
        "*/10",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Lock medical records": (
        "records.tasks.records_auto_lock",
        "*/10",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Prune revoked login sessions": (
        "accounts.tasks.revoked_login_sessions_prune",
        "17",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Generate clinic sessions": (
        "scheduling.tasks.sessions_generate",
        "30",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Release clinic sessions": (
        "scheduling.tasks.sessions_release",
        "*",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Expire unpaid holds": (
        "billing.tasks.holds_expire",
        "*",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Mark no-shows": (
        "appointments.tasks.sessions_mark_no_shows",
        "*/15",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Sync pending refunds": (
        "billing.tasks.refunds_sync_pending",
        "*/10",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Settle abandoned payment orders": (
        "billing.tasks.orders_settle_abandoned",
        "5-59/10",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Audit yesterday's payments": (
        "billing.tasks.payments_audit",
        "30",
        "2",
        "Asia/Shanghai",
        True,
    ),
    "Send pending notifications": (
        "appointments.tasks.notifications_sweep",
        "*",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Plan and send visit reminders": (
        "appointments.tasks.reminders_sweep",
        "*",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Load and reconcile the seat stock": (
        "appointments.tasks.booking_stock_reconcile",
        "*",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Write queued booking tickets": (
        "appointments.tasks.booking_tickets_write",
        "*",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Lapse rebooking offers": (
        "appointments.tasks.rebooking_offers_lapse",
        "*",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Release queue upkeep": (
        "appointments.tasks.release_queue_upkeep",
        "*",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Release unconfirmed high-risk bookings": (
        "appointments.tasks.unconfirmed_release_sweep",
        "*/5",
        "*",
        "Asia/Shanghai",
        True,
    ),
    "Score unscored bookings": (
        "analytics.tasks.unscored_bookings_score",
        "*/10",
        "*",
        "Asia/Shanghai",
        True,
    ),
}


# -- the registry --------------------------------------------------------------------------


def test_the_worker_knows_every_scheduled_task():
    celery_app.loader.import_default_modules()

    assert {job.task for job in periodic_jobs()} <= set(celery_app.tasks)


def test_each_app_registers_exactly_its_own_jobs():
    for app in APPS_WITH_JOBS:
        declared = list(import_module(f"{app}.periodic").PERIODIC_JOBS)

        assert periodic_jobs_of(app) == declared
        assert all(job.task.startswith(f"{app}.tasks.") for job in declared)
    assert sorted(job.name for job in periodic_jobs()) == sorted(EXPECTED)
    assert sum(len(periodic_jobs_of(app)) for app in APPS_WITH_JOBS) == len(
        periodic_jobs()
    )


@pytest.mark.parametrize(
    ("app", "task"),
    [
        ("scheduling", "appointments.tasks.appointments_expire_holds"),
        ("billing", "appointments.tasks.appointments_expire_holds"),
        ("appointments", "billing.tasks.refunds_sync_pending"),
        # a module path that merely starts with the app's name is another module
        ("billing", "billing_extra.tasks.refunds_sync_pending"),
        ("billing", "billing"),
    ],
)
def test_registering_another_apps_task_is_refused_and_registers_nothing(app, task):
    before = periodic_jobs()
    good = PeriodicJob(name="A job of its own", task=f"{app}.tasks.own", minute="*")
    foreign = PeriodicJob(name="Someone else's job", task=task, minute="*")

    with pytest.raises(ValueError, match="is not in"):
        periodic_jobs_register(good, foreign, app=app)

    assert periodic_jobs() == before


def test_a_job_name_another_app_registered_is_refused():
    before = periodic_jobs()
    taken = PeriodicJob(
        name="Mark no-shows", task="billing.tasks.no_shows_mark", minute="*"
    )

    with pytest.raises(ValueError, match="appointments has registered"):
        periodic_jobs_register(taken, app="billing")

    assert periodic_jobs() == before


def test_registering_the_same_jobs_again_changes_nothing():
    before = periodic_jobs()
    jobs = import_module("billing.periodic").PERIODIC_JOBS

    periodic_jobs_register(*jobs, app="billing")

    assert periodic_jobs() == before


def test_hold_expiry_is_billings_job_which_asks_the_channel_first():
    # Billing drives hold expiry (ARCHITECTURE.md): the job is billing's, not appointments'.
    assert "Expire unpaid holds" in {job.name for job in periodic_jobs_of("billing")}
    assert "Expire unpaid holds" not in {
        job.name for job in periodic_jobs_of("appointments")
    }


# -- the beat schedule ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_fresh_database_has_every_job_after_migrate():
    assert _schedule() == EXPECTED


@pytest.mark.django_db
def test_migrate_again_changes_nothing_and_a_paused_job_stays_paused():
    # given: a job paused by staff
    paused = PeriodicTask.objects.get(name="Expire unpaid holds")
    paused.enabled = False
    paused.save()
    rows = list(PeriodicTask.objects.order_by("pk").values())
    crontabs = list(CrontabSchedule.objects.order_by("pk").values())

    # when
    call_command("migrate", verbosity=0)

    # then
    assert _schedule()["Expire unpaid holds"][4] is False
    assert list(PeriodicTask.objects.order_by("pk").values()) == rows
    assert list(CrontabSchedule.objects.order_by("pk").values()) == crontabs


@pytest.mark.django_db
def test_migrate_restores_a_deleted_job_and_syncs_once():
    PeriodicTask.objects.get(name="Mark no-shows").delete()
    out = StringIO()

    with mock.patch.object(
        beat, "periodic_tasks_setup", wraps=beat.periodic_tasks_setup
    ) as setup:
        call_command("migrate", verbosity=1, stdout=out)

    assert setup.call_count == 1
    assert _schedule() == EXPECTED
    assert "Periodic tasks: 1 created, 0 updated.\n" in out.getvalue()


@pytest.mark.django_db
def test_the_sync_waits_for_the_beat_tables():
    # given: a job missing, and a database without django-celery-beat's tables
    PeriodicTask.objects.get(name="Mark no-shows").delete()
    schedule = _schedule()
    tables = [
        table
        for table in connection.introspection.table_names()
        if not table.startswith("django_celery_beat_")
    ]

    # when
    with mock.patch.object(
        type(connection.introspection), "table_names", return_value=tables
    ):
        emit_post_migrate_signal(0, False, connection.alias)

    # then
    assert _schedule() == schedule


@pytest.mark.django_db
def test_setup_command_restores_the_jobs_and_a_second_run_changes_nothing():
    # given: one job deleted, one retimed, one paused by staff
    PeriodicTask.objects.get(name="Mark no-shows").delete()
    retimed = PeriodicTask.objects.get(name="Release clinic sessions")
    retimed.crontab = CrontabSchedule.objects.create(minute="*/5", timezone="UTC")
    retimed.save()
    paused = PeriodicTask.objects.get(name="Expire unpaid holds")
    paused.enabled = False
    paused.save()

    # when
    first = _run("setup_periodic_tasks")
    schedule = _schedule()
    second = _run("setup_periodic_tasks")

    # then
    jobs = len(EXPECTED)  # every app's jobs (one row per job)
    assert first == f"Periodic tasks: 1 created, 1 updated, {jobs - 2} unchanged.\n"
    assert second == f"Periodic tasks: 0 created, 0 updated, {jobs} unchanged.\n"
    assert schedule == EXPECTED | {
        "Expire unpaid holds": EXPECTED["Expire unpaid holds"][:4] + (False,)
    }
    assert _schedule() == schedule
