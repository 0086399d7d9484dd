"""Exactly one beat: django-celery-beat's DatabaseScheduler, sending only under a lock.

Two beats (a rolling update, a replica too many, a second `celery beat` typed by hand)
would send every periodic job twice. LockedDatabaseScheduler holds a Redis lock
(BEAT_LOCK_URL, by default REDIS_URL): SET NX PX with a random token, renewed by every
tick (a Lua check-and-extend), released on close (check-and-delete). A beat without the
lock sends nothing and asks again every few seconds; when the holder dies its lock
expires after BEAT_LOCK_SECONDS and the waiting beat takes over, reading the schedule
afresh from the database (the other beat's last runs, written after every job sent). The
lock is checked again before each job goes out, so a beat whose tick stalled past the
lock's time never sends beside its successor. Redis failing: nothing is sent
until it answers again; a paused minute is better than every job twice, and /health/
shows the pause (the heartbeat stops).

While it holds the lock the scheduler writes beat's heartbeat (common/job_runs.py) every
BEAT_HEARTBEAT_SECONDS. Without BEAT_LOCK_URL (SQLite and the embedded broker of
scripts/run_dev.sh, one process) there is no lock: it runs as the DatabaseScheduler does,
heartbeat included.

Start beat with `celery -A config beat -S common.beat_lock:LockedDatabaseScheduler`
(also CELERY_BEAT_SCHEDULER's default).
"""

import logging
import time
import uuid

import redis
from django.conf import settings
from django.db import DatabaseError
from django_celery_beat.schedulers import DatabaseScheduler

from common.job_runs import job_run_record
from common.models import JobRun

logger = logging.getLogger(__name__)

_HOLD = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    redis.call('pexpire', KEYS[1], ARGV[2])
    return 1
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return 1
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class BeatLock:
    """One holder at a time for `seconds`, kept by calling hold() well within that."""

    def __init__(self, *, url: str, key: str, seconds: int) -> None:
        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=2
        )
        self.key = key
        self.seconds = seconds
        self.token = uuid.uuid4().hex
        self._hold = self.client.register_script(_HOLD)
        self._release = self.client.register_script(_RELEASE)

    @classmethod
    def from_settings(cls) -> "BeatLock | None":
        if not settings.BEAT_LOCK_URL:
            return None
        # The default queue names the deployment (several may share one Redis).
        return cls(
            url=settings.BEAT_LOCK_URL,
            key=f"{settings.CELERY_TASK_DEFAULT_QUEUE}:beat-lock",
            seconds=settings.BEAT_LOCK_SECONDS,
        )

    def hold(self) -> bool:
        """Take the lock or extend it; False when another holds it or Redis fails."""
        return bool(self._hold(keys=[self.key], args=[self.token, self.seconds * 1000]))

    def release(self) -> None:
        self._release(keys=[self.key], args=[self.token])

    @property
    def renew_seconds(self) -> float:
        return self.seconds / 3


class LockedDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args, **kwargs) -> None:
        self.beat_lock = BeatLock.from_settings()
        self.holding = self.beat_lock is None
        self._heartbeat_due = 0.0
        self._first_heartbeat = True  # writes started_at: /health/'s grace for the jobs
        self._waiting_said = False
        super().__init__(*args, **kwargs)
        # Every sent job's last run is written at once, so a beat taking over reads it and
        # does not send the job again (the default writes every 3 minutes).
        self.sync_every_tasks = 1

    def tick(self, *args, **kwargs) -> float:
        if self.beat_lock is None:
            self._heartbeat()
            return super().tick(*args, **kwargs)
        if not self._lock_hold():
            return self.beat_lock.renew_seconds
        self._heartbeat()
        return min(super().tick(*args, **kwargs), self.beat_lock.renew_seconds)

    def apply_entry(self, entry, producer=None) -> None:
        # The lock is checked again before each job goes out: a tick that stalled (the
        # database, the process paused) past the lock's time may find another beat holding it.
        if self.beat_lock is not None and not self._lock_hold():
            logger.warning("beat: %s not sent: the beat lock was lost", entry.name)
            return
        super().apply_entry(entry, producer=producer)

    def _lock_hold(self) -> bool:
        try:
            held = self.beat_lock.hold()
        except redis.RedisError as exc:
            if self.holding:
                logger.warning("beat: the lock's Redis failed (%s); pausing", exc)
            held = False
        if held and not self.holding:
            logger.info("beat: took the beat lock; sending the periodic jobs")
            # Another beat may have sent jobs meanwhile: read their last runs afresh.
            self._initial_read = True
            self._heap = None
            self._first_heartbeat = True
            self._heartbeat_due = 0.0
            self._waiting_said = False
        elif not held and self.holding:
            logger.warning("beat: lost the beat lock; another beat sends the jobs")
        elif not held and not self._waiting_said:
            logger.info("beat: another beat holds the beat lock; waiting")
            self._waiting_said = True
        self.holding = held
        return held

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if now < self._heartbeat_due:
            return
        try:
            job_run_record(name=JobRun.BEAT, started=self._first_heartbeat)
        except DatabaseError as exc:
            logger.warning("beat: could not write the heartbeat: %s", exc)
            return
        self._first_heartbeat = False
        self._heartbeat_due = now + settings.BEAT_HEARTBEAT_SECONDS

    def close(self) -> None:
        if self.beat_lock is not None and self.holding:
            try:
                self.beat_lock.release()
            except redis.RedisError as exc:
                logger.warning("beat: could not release the lock (%s)", exc)
            self.holding = False
        super().close()
