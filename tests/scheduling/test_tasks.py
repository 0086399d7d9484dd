"""Periodic jobs: thin tasks, management commands and the beat schedule, all idempotent."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from config.celery import app as celery_app
from scheduling.models import ClinicSession, Slot
from scheduling.periodic import PERIODIC_JOBS
from scheduling.tasks import sessions_generate as sessions_generate_task
from scheduling.tasks import sessions_release as sessions_release_task
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.factories import ClinicSessionFactory, ScheduleTemplateFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _state() -> list[tuple]:
    return list(
        ClinicSession.objects.order_by("pk").values_list(
            "pk", "date", "period", "is_released", "release_at", "updated_at"
        )
    ) + list(Slot.objects.order_by("pk").values_list("pk", "capacity", "queue_start"))


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# -- tasks ---------------------------------------------------------------------------------


def test_generate_task_twice_creates_sessions_once(frozen):
    ScheduleTemplateFactory(weekday=0)

    first = sessions_generate_task.delay().get()
    state = _state()
    second = sessions_generate_task.delay().get()

    assert (first, second) == (2, 0)
    assert _state() == state


def test_release_task_twice_releases_once(frozen):
    ClinicSessionFactory(release_at=at(MONDAY, 7, 0), is_released=False)
    ClinicSessionFactory(release_at=at(MONDAY, 7, 1), is_released=False)

    first = sessions_release_task.delay().get()
    state = _state()
    second = sessions_release_task.delay().get()

    assert (first, second) == (1, 0)
    assert _state() == state


def test_the_worker_knows_every_scheduled_task():
    celery_app.loader.import_default_modules()

    assert {job.task for job in PERIODIC_JOBS} <= set(celery_app.tasks)


# -- commands ------------------------------------------------------------------------------


def test_generate_command_twice_prints_a_summary_and_creates_once(frozen):
    ScheduleTemplateFactory(weekday=0)

    first = _run("generate_sessions")
    state = _state()
    second = _run("generate_sessions")

    assert first == "Created 2 clinic sessions.\n"
    assert second == "Created 0 clinic sessions.\n"
    assert _state() == state


def test_generate_command_takes_days_and_today(frozen):
    ScheduleTemplateFactory(weekday=4)

    output = _run("generate_sessions", "--today", "2026-03-16", "--days", "4")

    assert output == "Created 1 clinic sessions.\n"
    assert list(ClinicSession.objects.values_list("date", flat=True)) == [
        datetime.date(2026, 3, 20)
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "x"], "--days 'x': expected a whole number"),
        (["--days", "-1"], "--days -1: must be between 0 and 60"),
        (["--days", "61"], "--days 61: must be between 0 and 60"),
        (
            ["--today", "2026-13-01"],
            "--today '2026-13-01': expected a date as YYYY-MM-DD",
        ),
        (["--today", "tomorrow"], "--today 'tomorrow': expected a date as YYYY-MM-DD"),
    ],
)
def test_generate_command_refuses_bad_arguments_and_changes_nothing(
    frozen, args, message
):
    ScheduleTemplateFactory(weekday=0)

    with pytest.raises(CommandError) as excinfo:
        _run("generate_sessions", *args)

    assert str(excinfo.value) == message
    assert ClinicSession.objects.exists() is False


def test_release_command_twice_prints_a_summary_and_releases_once(frozen):
    ClinicSessionFactory.create_batch(2, release_at=at(MONDAY, 6, 0), is_released=False)

    first = _run("release_sessions")
    state = _state()
    second = _run("release_sessions")

    assert first == "Released 2 clinic sessions.\n"
    assert second == "Released 0 clinic sessions.\n"
    assert _state() == state


# -- the beat schedule ---------------------------------------------------------------------


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
}


def test_the_migration_puts_the_jobs_in_the_database_schedule():
    assert _schedule() == EXPECTED


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
    assert first == "Periodic tasks: 1 created, 1 updated, 6 unchanged.\n"
    assert second == "Periodic tasks: 0 created, 0 updated, 8 unchanged.\n"
    assert schedule == EXPECTED | {
        "Expire unpaid holds": EXPECTED["Expire unpaid holds"][:4] + (False,)
    }
    assert _schedule() == schedule
