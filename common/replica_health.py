"""Whether the read replica may serve reads: it answers, and it is not lagging.

The state is checked at most every CHECK_SECONDS per process (one query on the replica:
SHOW SLAVE STATUS on MySQL/MariaDB, SELECT 1 elsewhere) and remembered; a read that fails
on the replica marks it down at once (common.replica.reads_may_lag). /health/ shows the
state as "replica": "ok", "lagging", "down" or "not_configured" (common.health).
"""

import logging
import threading
import time

from django.conf import settings
from django.db import connections

from common.databases import REPLICA, replica_in_effect

logger = logging.getLogger(__name__)

CHECK_SECONDS = 5

OK = "ok"
LAGGING = "lagging"
DOWN = "down"
NOT_CONFIGURED = "not_configured"

_lock = threading.Lock()
_state: tuple[float, str] | None = None  # (checked at, monotonic; state)


def replica_usable() -> bool:
    return _replica_state() == OK


def replica_health() -> str:
    """The replica's part of /health/: checked now, not remembered."""
    if not replica_in_effect():
        return NOT_CONFIGURED
    return _replica_state(refresh=True)


def replica_failed(exc: Exception) -> None:
    """A read on the replica failed: reads go to the primary until the next check."""
    global _state
    logger.warning(
        "replica: a read failed, reading the primary (%s: %s)",
        type(exc).__name__,
        exc,
    )
    _close_replica()
    with _lock:
        _state = (time.monotonic(), DOWN)


def replica_state_forget() -> None:
    global _state
    with _lock:
        _state = None


def _replica_state(*, refresh: bool = False) -> str:
    global _state
    now = time.monotonic()
    with _lock:
        remembered = _state
    if not refresh and remembered is not None and now - remembered[0] < CHECK_SECONDS:
        return remembered[1]
    state = _check()
    if remembered is None or remembered[1] != state:
        log = logger.info if state == OK else logger.warning
        log("replica: %s", state)
    with _lock:
        _state = (now, state)
    return state


def _check() -> str:
    connection = connections[REPLICA]
    try:
        with connection.cursor() as cursor:
            if connection.vendor != "mysql":
                cursor.execute("SELECT 1")
                cursor.fetchone()
                return OK
            cursor.execute("SHOW SLAVE STATUS")
            row = cursor.fetchone()
            columns = [column[0] for column in cursor.description or ()]
    except Exception as exc:  # any driver error means "down"
        logger.warning("replica: did not answer (%s: %s)", type(exc).__name__, exc)
        _close_replica()
        return DOWN
    limit = settings.REPLICA_MAX_LAG_SECONDS
    if row is None or limit == 0:
        return OK  # not replicating from anything, or the lag check is off
    status = dict(zip(columns, row, strict=False))
    behind = status.get("Seconds_Behind_Master")
    if behind is None or behind > limit:
        # NULL: replication is stopped or broken, so the lag is unbounded.
        return LAGGING
    return OK


def _close_replica() -> None:
    try:
        connections[REPLICA].close()
    except Exception:  # a broken connection may fail to close: it is dropped anyway
        logger.debug("replica: closing the connection failed", exc_info=True)
