"""The stock's key names.

Every key starts with `bk:<namespace>:`, the namespace naming the database the stock
mirrors (settings.BOOKING_STOCK_NAMESPACE), so a test database and a development one never
read each other's seats on one Redis. A booking request names only its slot, so the take
script reads the slot's session id from `T(slot)` and builds the session's key names itself:
one round trip, on one Redis server (a Redis Cluster would need the session's id in the
request and hash tags per session).

- `S(session)`: hash `st` ("open" or "stopped"), `rel` (release, Unix seconds), `early`
  (the earliest moment any member level may book: release less the longest priority
  window). Its presence means "this session is loaded".
- `T(slot)`: hash `sid`, `free` (seats left to win; may go below 0 when the database path
  took the last one while a ticket waited), `start` and `cut` (Unix seconds: the slot's
  start and booking cutoff).
- `P(session)`: set of the profiles holding or queued for a seat in the session.
- `U(user)`: hash `ph` (the user's priority window in hours now) and `p<profile id>` for
  each of the user's active profiles. Expires (USER_SECONDS) and is dropped after commit
  when a profile or the membership changes.
- `R(ticket)`: list the writer pushes a ticket's outcome to, for the request waiting on it.
- `LOADED`: set of the loaded session ids (the reconciler's list).
"""

import hashlib

from django.conf import settings
from django.db import connections

USER_SECONDS = 600
RESULT_SECONDS = 120


def _prefix() -> str:
    namespace = settings.BOOKING_STOCK_NAMESPACE
    if not namespace:
        # Read at each call: the test runner renames the database after settings load.
        database = connections["default"].settings_dict
        name = f"{database['ENGINE']}|{database.get('HOST')}|{database['NAME']}"
        namespace = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"bk:{namespace}:"


def prefix() -> str:
    return _prefix()


def session_key(session_id: int) -> str:
    return f"{_prefix()}s{session_id}"


def slot_key(slot_id: int) -> str:
    return f"{_prefix()}t{slot_id}"


def profiles_key(session_id: int) -> str:
    return f"{_prefix()}p{session_id}"


def user_key(user_id: int) -> str:
    return f"{_prefix()}u{user_id}"


def result_key(ticket_id: int) -> str:
    return f"{_prefix()}r{ticket_id}"


def loaded_key() -> str:
    return f"{_prefix()}loaded"


def pattern() -> str:
    """Every key of this namespace (for a rebuild from scratch)."""
    return f"{_prefix()}*"
