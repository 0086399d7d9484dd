"""The rush's back half in the benchmark: the seat stock loaded, the booking writer running,
and the faults a run may inject while the real endpoint is rushed (`--chaos`).

- `kill-writer`: the writer is killed (SIGKILL, so mid-batch whenever it is writing) a
  moment into the large session's rush and started again half a second later;
- `flush-redis`: the stock's Redis database is flushed (FLUSHDB: the stock, the cache,
  the writers' answers) a moment into the large session's rush, and the stock rebuilt from
  the database a second later, as the minute job or `booking_stock rebuild` would;
- `cancel-race`: while the hot session is rushed, its committed appointments are
  cancelled as they appear (up to a fifth of the seats), so seats return to the stock
  mid-rush and are sold again.

The audit then holds the answers against the database as always; a patient whose
appointment the racer cancelled counts as served (told yes, appointment committed, then
cancelled by the racer).
"""

import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from appointments.models import Appointment
from appointments.services import appointment_cancel
from appointments.stock.client import stock_enabled
from appointments.stock.loading import sessions_stock_load, stock_preload
from common.services import Actor

CHAOS = ("kill-writer", "flush-redis", "cancel-race")


class Writer:
    """`manage.py booking_writer` beside gunicorn, with this process's environment."""

    def __init__(self, workdir: Path) -> None:
        self.log_path = workdir / "booking-writer.log"
        self.process: subprocess.Popen | None = None
        self.kills = 0

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "booking_writer"],
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def stock_prepare(session_ids: list[int]) -> bool:
    """Load the real endpoint's sessions into the stock; False when the stock is off."""
    if not stock_enabled():
        return False
    sessions_stock_load(session_ids)
    return True


@dataclass
class Chaos:
    """The faults of one phase, run on a timer thread beside it; what happened."""

    done: list[str] = field(default_factory=list)
    cancelled_profiles: set[int] = field(default_factory=set)
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def later(self, seconds: float, action) -> None:
        def run() -> None:
            if not self._stop.wait(seconds):
                action()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self._threads.append(thread)

    def finish(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def kill_writer(self, writer: Writer, after: float) -> None:
        def kill() -> None:
            writer.kill()
            self.done.append(f"writer killed at {after:.1f} s")
            time.sleep(0.5)
            writer.start()
            self.done.append("writer started again 0.5 s later")

        self.later(after, kill)

    def flush_redis(self, after: float) -> None:
        def flush() -> None:
            redis.Redis.from_url(settings.BOOKING_STOCK_REDIS_URL).flushdb()
            self.done.append(f"Redis flushed at {after:.1f} s")
            time.sleep(1.0)
            try:
                loaded = stock_preload()
            finally:
                connection.close()  # this thread's own connection
            self.done.append(f"stock rebuilt 1 s later ({loaded} sessions)")

        self.later(after, flush)

    def cancel_race(self, session_id: int, limit: int) -> None:
        """Cancel committed appointments of the session as they appear, up to `limit`."""

        def race() -> None:
            while not self._stop.is_set() and len(self.cancelled_profiles) < limit:
                booked = Appointment.objects.filter(
                    session_id=session_id, status__in=Appointment.UPCOMING
                ).exclude(profile_id__in=self.cancelled_profiles)[:1]
                for appointment in booked:
                    appointment_cancel(
                        actor=Actor.system(),
                        appointment=appointment,
                        by=Appointment.CancelledBy.STAFF,
                        reason="rush benchmark: a cancel racing the rush",
                    )
                    self.cancelled_profiles.add(appointment.profile_id)
                if not booked:
                    time.sleep(0.01)
            connection.close()  # this thread's own connection
            self.done.append(f"{len(self.cancelled_profiles)} bookings cancelled")

        self.later(0.0, race)


def chaos_wanted(options: dict) -> set[str]:
    """The faults `--chaos` names (comma-separated; "all": every one)."""
    chosen = {name for name in (options.get("chaos") or "").split(",") if name}
    return set(CHAOS) if "all" in chosen else chosen
