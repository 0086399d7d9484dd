"""Jobs that must not fail silently: beat's heartbeat and the watched jobs' last success,
in /health/'s "jobs" part and in /metrics."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from common.job_runs import job_run_record, jobs_status, watched_jobs
from common.models import JobRun
from config.celery import app as celery_app
from tests.metrics_helpers import TOKEN, scrape, value

pytestmark = pytest.mark.django_db

RELEASE = "scheduling.tasks.sessions_release"
HOLDS = "billing.tasks.holds_expire"
REMINDERS = "appointments.tasks.reminders_sweep"
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def with_broker():
    """As in production: tasks go through a broker, so a beat is expected."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://"
    yield
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved


def _beat(*, last: datetime.datetime, started: datetime.datetime) -> None:
    JobRun.objects.update_or_create(
        name=JobRun.BEAT, defaults={"last_success_at": last, "started_at": started}
    )


def _all_jobs_ran(at: datetime.datetime) -> None:
    for task in watched_jobs():
        job_run_record(name=task, at=at)


def test_the_watched_jobs_are_release_hold_expiry_and_reminders():
    assert set(watched_jobs()) == {RELEASE, HOLDS, REMINDERS}


def test_with_tasks_inline_there_is_no_beat_to_watch():
    assert celery_app.conf.task_always_eager is True
    assert Client().get("/health/").json()["checks"]["jobs"] == "not_configured"


def test_a_fresh_install_whose_beat_never_ran_says_not_started(with_broker):
    assert jobs_status() == "not_started"


def test_a_live_beat_and_recent_jobs_are_ok(with_broker, settings):
    now = timezone.now()
    _beat(last=now - 10 * datetime.timedelta(seconds=1), started=now - 60 * MINUTE)
    _all_jobs_ran(now - 2 * MINUTE)

    assert jobs_status() == "ok"


def test_a_silent_heartbeat_is_overdue(with_broker, settings):
    settings.BEAT_HEARTBEAT_SECONDS = 30
    settings.JOBS_OVERDUE_FACTOR = 5
    now = timezone.now()
    _beat(last=now - 3 * MINUTE, started=now - 60 * MINUTE)  # 180 s > 150 s
    _all_jobs_ran(now)

    assert jobs_status() == "overdue"
    response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["jobs"] == "overdue"


def test_a_job_that_stopped_succeeding_is_overdue(with_broker, settings):
    settings.JOBS_OVERDUE_FACTOR = 5
    now = timezone.now()
    _beat(last=now, started=now - 60 * MINUTE)
    _all_jobs_ran(now)
    job_run_record(name=HOLDS, at=now - 6 * MINUTE)

    assert jobs_status() == "overdue"


def test_a_beat_just_started_gives_jobs_that_never_ran_their_grace(with_broker):
    now = timezone.now()
    _beat(last=now, started=now - 2 * MINUTE)  # no job has succeeded yet

    assert jobs_status() == "ok"

    _beat(last=now, started=now - 10 * MINUTE)  # ... but not for ever
    assert jobs_status() == "overdue"


def test_a_watched_task_records_its_success(with_broker):
    from scheduling.tasks import sessions_release

    # when: the task runs (as a worker runs it; the signal is the worker's)
    sessions_release.apply()

    # then
    row = JobRun.objects.get(name=RELEASE)
    assert timezone.now() - row.last_success_at < MINUTE


def test_an_unwatched_task_records_nothing():
    from appointments.tasks import notifications_sweep

    notifications_sweep.apply()

    assert not JobRun.objects.filter(name="appointments.tasks.notifications_sweep")


def test_the_jobs_are_gauges_in_the_metrics(settings):
    settings.METRICS_TOKEN = TOKEN
    now = timezone.now()
    _beat(last=now - 20 * datetime.timedelta(seconds=1), started=now - 60 * MINUTE)
    job_run_record(name=RELEASE, at=now - MINUTE)
    job_run_record(name=HOLDS, at=now - 30 * MINUTE)

    samples = scrape()

    age = value(samples, "hospital_beat_heartbeat_age_seconds")
    assert 20 <= age < 80
    assert value(
        samples, "hospital_job_last_success_timestamp_seconds", task=RELEASE
    ) == pytest.approx((now - MINUTE).timestamp())
    assert value(samples, "hospital_job_overdue", task=RELEASE) == 0
    assert value(samples, "hospital_job_overdue", task=HOLDS) == 1
    assert value(samples, "hospital_job_overdue", task=REMINDERS) == 1  # never ran
    assert value(samples, "hospital_job_overdue", task=JobRun.BEAT) == 0
