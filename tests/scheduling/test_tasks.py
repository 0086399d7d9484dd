"""Periodic jobs: thin tasks and management commands, all idempotent.

The beat schedule itself is tested in tests/common/test_periodic.py.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from scheduling.models import ClinicSession, Slot
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
