"""The changes the database paths make to seats, mirrored into the stock after commit.

Each is registered with transaction.on_commit inside the transaction that made the change,
so a rollback mirrors nothing, and each changes the stock only where the session or slot is
loaded. A mirror that fails (Redis down, a process killed between commit and mirror) leaves
drift, which the reconciler finds and repairs; until then the stock can only refuse a seat
that is free (it never lets more bookings through than the slot's conditional UPDATE
allows, which stays the final guard).
"""

from django.db import transaction

from appointments.stock import keys
from appointments.stock.client import (
    ERRORS,
    stock_client,
    stock_enabled,
    stock_failed,
)
from appointments.stock.loading import session_fields_write, sessions_stock_read
from appointments.stock.scripts import scripts


def _after_commit(action) -> None:
    if not stock_enabled():
        return

    def run() -> None:
        try:
            action()
        except ERRORS as exc:
            stock_failed(exc)

    transaction.on_commit(run)


def stock_seat_taken(
    *, slot_id: int, session_id: int | None, profile_id: int | None
) -> None:
    """The database path took a seat of the slot (for the profile in the session, when
    given)."""
    _after_commit(
        lambda: scripts().taken(
            keys=[
                keys.slot_key(slot_id),
                keys.session_key(session_id or 0),
                keys.profiles_key(session_id or 0),
            ],
            args=["" if profile_id is None else profile_id],
        )
    )


def stock_seat_returned(
    *, slot_id: int, session_id: int | None = None, profile_id: int | None = None
) -> None:
    """A seat came back to the slot (a cancel, an expired hold, a move away, a refused
    ticket); the profile may book in the session again."""
    _after_commit(lambda: stock_give_back_now(slot_id, session_id, profile_id, 1))


def stock_give_back_now(
    slot_id: int, session_id: int | None, profile_id: int | None, seats: int
) -> None:
    scripts().give_back(
        keys=[
            keys.slot_key(slot_id),
            keys.profiles_key(session_id or 0),
        ],
        args=["" if profile_id is None or session_id is None else profile_id, seats],
    )


def stock_seats_added(*, session_id: int, slot_id: int, seats: int) -> None:
    """加号: seats added to a slot, or a slot added to the session (a loaded session
    gets the new slot with its free seats as the database has them after commit)."""

    def add() -> None:
        if stock_client().exists(keys.slot_key(slot_id)):
            stock_give_back_now(slot_id, None, None, seats)
        else:
            for stock in sessions_stock_read([session_id]):
                session_fields_write(stock)

    _after_commit(add)


def stock_session_changed(*, session_id: int) -> None:
    """The session's state, release or slots changed (stopped, a slot added, the doctor or
    hospital closed): its state and new slots are written again; counts stay deltas."""

    def refresh() -> None:
        for stock in sessions_stock_read([session_id]):
            session_fields_write(stock)

    _after_commit(refresh)
