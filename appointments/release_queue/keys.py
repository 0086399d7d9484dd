"""The release queue's key names, in the seat stock's namespace (appointments.stock.keys).

The Lua scripts build the same names from the prefix and the session id (the stock's TAKE
reads `q`, `qj` and `qd` itself), so the queue of a session lives on the one Redis server
that holds its stock; a Redis Cluster would need the session's id as a hash tag.

- `qm<session>`: hash: the plan (`rel`, `opens`, `closes`, `rate`, `burst`, `win`, `slots`:
  the session's slot ids, `exp`) and the state (`drawn`, `n` places given, `adm` places
  admitted, `tok`/`ts`: the admission token bucket).
- `ql<session>`: set: who joined before the release (the lobby, drawn at the release).
- `qw<session>`: list: who joined after the release but before the draw, in arrival order.
- `qo<session>`: sorted set: member -> place (1, 2, ...), after the draw.
- `qj<session>`: hash: member -> "profile|person|joined at".
- `qh<session>`: hash: person (ID-number hash) -> member: one place per real person.
- `q<session>`: hash: member -> "admitted at|until|profile": the pass (TAKE checks it).
- `qz<session>`: sorted set: member -> until, the passes still live (admitted, not used).
- `qd<session>`: set: the members whose pass booked a seat.
- `qk<session>`: the draw's lock (one process draws).
- `d<session>`: HyperLogLog of the accounts that tried to book after the release.

A member is a user id: one account holds one place.
"""

from appointments.stock.keys import prefix


def meta_key(session_id: int) -> str:
    return f"{prefix()}qm{session_id}"


def lobby_key(session_id: int) -> str:
    return f"{prefix()}ql{session_id}"


def draw_lock_key(session_id: int) -> str:
    return f"{prefix()}qk{session_id}"


def demand_key(session_id: int) -> str:
    return f"{prefix()}d{session_id}"
