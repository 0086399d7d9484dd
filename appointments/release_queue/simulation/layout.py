"""The seat stock written for the simulation, in a namespace of its own.

The keys are the layout appointments/stock/keys.py documents, written directly (no
database rows): a session hash (`st`, `rel`, `early`, and `q`, the queue's gate end, when
the run uses the queue), one slot per session, with the session's id (`sid`, `free`,
`start`, `cut`), and one user hash per patient (`ph` 0: no member priority, `p<profile>`).
Every run (a seed without or with the queue) has sessions of its own; the users are shared.

The clock is virtual, but Redis expires keys by its own: the keys expire a few hours after
the real moment of the run, and are dropped when the run ends.
"""

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.test import override_settings

from appointments.release_queue.simulation.params import Params
from appointments.release_queue.simulation.patients import (
    Patient,
    profile_id_of,
    user_id_of,
)
from appointments.stock import keys
from appointments.stock.client import stock_client

KEEP_SECONDS = 3 * 3600
# The virtual release: a fixed moment, so a seed's run is the same on any day.
RELEASE = 1_900_000_000.0
# The slots start two days after the release and close for booking an hour before.
SLOT_STARTS_AFTER = 2 * 86_400
CHUNK = 1_000


@dataclass(frozen=True)
class Layout:
    release: float
    session_ids: list[int]  # by session index
    slot_ids: list[int]  # by session index (one slot per session)
    expire_at: int  # real Unix seconds

    def slot_of(self, patient: Patient) -> int:
        return self.slot_ids[patient.session]

    def session_of(self, patient: Patient) -> int:
        return self.session_ids[patient.session]


@contextmanager
def namespace() -> Iterator[str]:
    """A stock namespace of the simulation's own (`sim<hex>`); its keys dropped after."""
    name = f"sim{secrets.token_hex(6)}"
    with override_settings(BOOKING_STOCK_NAMESPACE=name):
        try:
            yield name
        finally:
            keys_drop()


def keys_drop() -> int:
    client = stock_client()
    found = list(client.scan_iter(match=keys.pattern(), count=CHUNK))
    for start in range(0, len(found), CHUNK):
        client.delete(*found[start : start + CHUNK])
    return len(found)


def users_write(patients: int) -> None:
    """One user hash per patient, the same for every run and seed (ids are by index)."""
    expire_at = int(time.time()) + KEEP_SECONDS
    pipe = stock_client().pipeline(transaction=False)
    for first in range(0, patients, CHUNK):
        for index in range(first, min(patients, first + CHUNK)):
            user = keys.user_key(user_id_of(index))
            pipe.hset(user, mapping={"ph": 0, f"p{profile_id_of(index)}": 1})
            pipe.expireat(user, expire_at)
        pipe.execute()


def layout_write(
    params: Params, *, first_session: int, gate_until: float | None
) -> Layout:
    """The sessions and slots of a run, ids from `first_session` on (each run of a study
    has sessions of its own); the gate up until `gate_until` if given."""
    expire_at = int(time.time()) + KEEP_SECONDS
    ids = list(range(first_session, first_session + params.sessions))
    layout = Layout(release=RELEASE, session_ids=ids, slot_ids=ids, expire_at=expire_at)
    pipe = stock_client().pipeline(transaction=False)
    start = RELEASE + SLOT_STARTS_AFTER
    for session_id, slot_id in zip(layout.session_ids, layout.slot_ids, strict=True):
        session = {"st": "open", "rel": repr(RELEASE), "early": repr(RELEASE)}
        if gate_until is not None:
            session["q"] = repr(gate_until)
        pipe.hset(keys.session_key(session_id), mapping=session)
        pipe.expireat(keys.session_key(session_id), expire_at)
        pipe.hset(
            keys.slot_key(slot_id),
            mapping={
                "sid": session_id,
                "free": params.seats_per_session,
                "start": repr(start),
                "cut": repr(start - 3600),
            },
        )
        pipe.expireat(keys.slot_key(slot_id), expire_at)
    pipe.execute()
    return layout
