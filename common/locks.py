"""Locks on names, for counts that have no row to lock yet.

A rule such as "at most N codes a day to this phone" or "from this IP" counts rows; under
READ COMMITTED (the project's isolation level) two concurrent transactions both count
before either inserts, so both pass. Locking an existing row serialises them, but the
first code to a phone, or the first request from an IP, has no row; and making a row to
lock makes concurrent first inserts of one key deadlock in InnoDB.

`named_locks` holds the database's user-level locks instead (MariaDB/MySQL GET_LOCK),
around the whole transaction that counts and writes: take it before the transaction
begins, so the lock is released after the commit. SQLite serialises writers itself and
takes no lock here.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.utils.translation import gettext as _

from common.errors import ErrorCode, ServiceUnavailable

WAIT_SECONDS = 10


def _lock_name(name: str) -> str:
    # GET_LOCK names are at most 64 characters; the prefix keeps ours apart from others'.
    return "app:" + hashlib.sha256(name.encode()).hexdigest()[:56]


@contextmanager
def named_locks(*names: str, wait_seconds: int = WAIT_SECONDS) -> Iterator[None]:
    """Hold a lock on each of `names` for the block, taken in sorted order (so callers
    that share names never wait on each other in a circle) and released at its end.

    Raises ServiceUnavailable (503) when a lock is not free within `wait_seconds`.
    """
    if connection.vendor != "mysql":
        yield
        return
    taken: list[str] = []
    try:
        with connection.cursor() as cursor:
            for lock in sorted({_lock_name(name) for name in names}):
                cursor.execute("SELECT GET_LOCK(%s, %s)", [lock, wait_seconds])
                if cursor.fetchone()[0] != 1:
                    raise ServiceUnavailable(
                        ErrorCode.BUSY, _("The server is busy, please try again.")
                    )
                taken.append(lock)
        yield
    finally:
        with connection.cursor() as cursor:
            for lock in reversed(taken):
                cursor.execute("SELECT RELEASE_LOCK(%s)", [lock])
