"""The release queue's gate on the database path of booking.

The stock's TAKE checks the pass itself (appointments/stock/scripts.py). A booking that
takes the database path while the gate is up (the session not loaded in the stock) is
checked here the same way, and its pass is marked used after commit. With Redis failing
the gate is open: the database path books as usual and never overbooks.
"""

import datetime

from django.db import transaction

from appointments.release_queue.notices import queue_status_told
from appointments.release_queue.store import queue_used
from appointments.services.refusals import (
    already_booked,
    release_queue_pass_lapsed,
    release_queue_place_not_transferable,
    release_queue_required,
    release_queue_waiting,
)
from appointments.stock.client import ERRORS, stock_failed, stock_usable
from appointments.stock.loading import queue_closes_at
from scheduling.models import ClinicSession


def release_queue_gate_check(
    *,
    session: ClinicSession,
    user_id: int,
    profile_id: int,
    now: datetime.datetime,
) -> bool:
    """Raise the refusal when the gate is up and the caller holds no live pass for this
    profile. True when a pass is being used: call `release_queue_pass_used` after the
    booking is written."""
    closes = queue_closes_at(session)
    at = now.timestamp()
    if closes is None or not (session.release_at.timestamp() <= at < closes):
        return False
    if not stock_usable():
        return False
    try:
        facts = queue_status_told(session_id=session.pk, member=user_id, now=at)
    except ERRORS as exc:
        stock_failed(exc)
        return False
    if facts is None or not facts.joined:
        raise release_queue_required()
    if facts.used:
        raise already_booked()
    if facts.until is None:
        raise release_queue_waiting()
    if at >= facts.until:
        raise release_queue_pass_lapsed()
    if facts.profile_id != profile_id:
        raise release_queue_place_not_transferable()
    return True


def release_queue_pass_used(*, session_id: int, user_id: int) -> None:
    """After commit: the pass booked, so the queue counts its seat as taken."""

    def used() -> None:
        try:
            queue_used(session_id=session_id, member=user_id)
        except ERRORS as exc:
            stock_failed(exc)

    transaction.on_commit(used)
