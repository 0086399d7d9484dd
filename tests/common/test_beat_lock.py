"""Exactly one beat: two LockedDatabaseSchedulers on one Redis, one sends at a time."""

import os
import uuid

import pytest
import redis
from celery.beat import ScheduleEntry
from django_celery_beat.models import PeriodicTask

from common.beat_lock import LockedDatabaseScheduler
from common.models import JobRun
from config.celery import app as celery_app

# Beat runs in autocommit (django-celery-beat closes a connection found inside a
# transaction), so these tests do too.
pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="the beat lock needs Redis")


@pytest.fixture
def quiet_schedule():
    """Nothing due: a tick that runs sends no task anywhere."""
    PeriodicTask.objects.update(enabled=False)


@pytest.fixture
def lock_settings(settings, quiet_schedule):
    settings.BEAT_LOCK_URL = REDIS_URL
    settings.BEAT_LOCK_SECONDS = 30
    settings.CELERY_TASK_DEFAULT_QUEUE = f"beat-test-{uuid.uuid4().hex[:8]}"
    key = f"{settings.CELERY_TASK_DEFAULT_QUEUE}:beat-lock"
    yield key
    redis.Redis.from_url(REDIS_URL).delete(key)


def _scheduler() -> LockedDatabaseScheduler:
    return LockedDatabaseScheduler(app=celery_app, lazy=True)


@needs_redis
def test_a_second_beat_waits_while_the_first_holds_the_lock(lock_settings):
    # given
    first, second = _scheduler(), _scheduler()

    # when
    first.tick()
    waited = second.tick()

    # then
    assert (first.holding, second.holding) == (True, False)
    assert waited == pytest.approx(10)  # asks again within a third of the lock's time
    ttl = redis.Redis.from_url(REDIS_URL).pttl(lock_settings)
    assert 0 < ttl <= 30_000
    beat = JobRun.objects.get(name=JobRun.BEAT)
    assert beat.started_at == beat.last_success_at  # the first heartbeat

    # when: the first closes (beat stopped), the second takes over
    first.close()
    second.tick()

    # then
    assert (first.holding, second.holding) == (False, True)
    second.close()


@needs_redis
def test_a_dead_holders_lock_expires_and_the_holder_then_stops_sending(lock_settings):
    # given: the first holds the lock
    first, second = _scheduler(), _scheduler()
    first.tick()
    second.tick()
    assert second.holding is False

    # when: its lock expires (the process hung past BEAT_LOCK_SECONDS)
    redis.Redis.from_url(REDIS_URL).delete(lock_settings)
    second.tick()
    first.tick()

    # then: the second sends; the first, back, finds it and waits
    assert (first.holding, second.holding) == (False, True)
    first.close()  # does not release the second's lock
    assert redis.Redis.from_url(REDIS_URL).get(lock_settings) == (
        second.beat_lock.token.encode()
    )
    second.close()


def test_without_a_lock_url_beat_runs_as_before_and_writes_its_heartbeat(
    settings, quiet_schedule
):
    settings.BEAT_LOCK_URL = ""
    scheduler = _scheduler()

    scheduler.tick()

    assert scheduler.beat_lock is None
    assert JobRun.objects.filter(name=JobRun.BEAT).exists()
    scheduler.close()


def test_a_beat_whose_redis_fails_sends_nothing(settings, quiet_schedule):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.BEAT_LOCK_URL = f"redis://127.0.0.1:{port}/0"
    scheduler = _scheduler()

    scheduler.tick()

    assert scheduler.holding is False
    assert not JobRun.objects.filter(name=JobRun.BEAT).exists()
    scheduler.close()


class RecordingScheduler(LockedDatabaseScheduler):
    """Records the jobs it would hand to the broker instead of sending them."""

    def __init__(self, *args, **kwargs) -> None:
        self.sent: list[str] = []
        super().__init__(*args, **kwargs)

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        self.sent.append(entry.name)


@needs_redis
def test_a_beat_whose_tick_stalled_past_its_lock_sends_nothing(lock_settings):
    # given: the first holds the lock, has a job due, then stalls past the lock's time
    first = RecordingScheduler(app=celery_app, lazy=True)
    second = RecordingScheduler(app=celery_app, lazy=True)
    first.tick()
    entry = ScheduleEntry(
        name="probe job", task="tests.request_id_probe", app=celery_app, schedule=60
    )
    redis.Redis.from_url(REDIS_URL).delete(lock_settings)
    second.tick()

    # when: the first wakes up and would send the job
    first.apply_entry(entry)
    second.apply_entry(entry)

    # then: only the holder sends it
    assert (first.sent, second.sent) == ([], ["probe job"])
    assert first.sync_every_tasks == 1  # each send's last run written at once
    first.close()
    second.close()
