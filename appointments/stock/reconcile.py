"""Repairing the stock from the database: the periodic job and `manage.py booking_stock`.

Drift comes from a mirror that did not run (Redis down at the moment of a cancel, a process
killed between its commit and its mirror, a load that raced a booking). The reconciler
reads each loaded slot's free seats and each session's marked profiles from Redis and from
the database twice, `settle` seconds apart, and repairs only a difference seen the same
both times: a seat won in Redis whose ticket is a few milliseconds from being written, or a
refused ticket's seat on its way back, shows as a difference once and is left alone. A
repair is a delta (HINCRBY, SADD, SREM), never an overwrite, so it cannot undo a booking
that lands meanwhile. Sessions' state, release and slot times are written again every run.
Sessions due and not loaded (a Redis restart or flush) are loaded first: the rebuild.
"""

import logging
import time
from dataclasses import dataclass, field

from django.utils import timezone

from appointments.stock import keys
from appointments.stock.client import stock_client
from appointments.stock.loading import (
    SessionStock,
    session_fields_write,
    sessions_stock_read,
    stock_preload,
)

logger = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    loaded: int = 0  # sessions loaded now (absent: new, or after a Redis restart)
    checked: int = 0  # loaded sessions compared
    seats_fixed: dict[int, int] = field(default_factory=dict)  # slot: delta applied
    profiles_added: int = 0
    profiles_removed: int = 0
    dropped: int = 0  # loaded-set entries of sessions gone from Redis


@dataclass
class _Reading:
    free: dict[int, int]  # slot: Redis free - database free
    missing: dict[int, set[int]]  # session: profiles the database has, Redis not
    extra: dict[int, set[int]]  # session: profiles Redis has, the database not


def _read(session_ids: list[int]) -> tuple[list[SessionStock], _Reading]:
    stocks = sessions_stock_read(session_ids)
    client = stock_client()
    pipe = client.pipeline(transaction=True)  # one consistent view of Redis
    for stock in stocks:
        pipe.smembers(keys.profiles_key(stock.session_id))
        for slot in stock.slots:
            pipe.hget(keys.slot_key(slot.slot_id), "free")
    answers = iter(pipe.execute())
    reading = _Reading(free={}, missing={}, extra={})
    for stock in stocks:
        marked = {int(member) for member in next(answers)}
        reading.missing[stock.session_id] = stock.profiles - marked
        reading.extra[stock.session_id] = marked - stock.profiles
        for slot in stock.slots:
            free = next(answers)
            if free is not None:
                reading.free[slot.slot_id] = int(free) - slot.free
    return stocks, reading


def stock_reconcile(*, settle: float = 1.0, now=None) -> ReconcileReport:
    """Load what is due, then find and repair stable drift (see the module docstring)."""
    report = ReconcileReport(loaded=stock_preload(now=now or timezone.now()))
    client = stock_client()
    loaded = sorted(int(member) for member in client.smembers(keys.loaded_key()))
    pipe = client.pipeline(transaction=False)
    for session_id in loaded:
        pipe.exists(keys.session_key(session_id))
    present = [s for s, exists in zip(loaded, pipe.execute(), strict=True) if exists]
    gone = sorted(set(loaded) - set(present))
    if gone:
        client.srem(keys.loaded_key(), *gone)
        report.dropped = len(gone)
    if not present:
        return report
    _stocks, first = _read(present)
    time.sleep(settle)
    stocks, second = _read(present)
    report.checked = len(stocks)
    pipe = client.pipeline(transaction=False)
    for slot_id, delta in second.free.items():
        if delta and first.free.get(slot_id) == delta:
            pipe.hincrby(keys.slot_key(slot_id), "free", -delta)
            report.seats_fixed[slot_id] = -delta
    for session_id, missing in second.missing.items():
        stable = missing & first.missing.get(session_id, set())
        if stable:
            pipe.sadd(keys.profiles_key(session_id), *stable)
            report.profiles_added += len(stable)
    for session_id, extra in second.extra.items():
        stable = extra & first.extra.get(session_id, set())
        if stable:
            pipe.srem(keys.profiles_key(session_id), *stable)
            report.profiles_removed += len(stable)
    pipe.execute()
    for stock in stocks:
        session_fields_write(stock)
    if report.seats_fixed or report.profiles_added or report.profiles_removed:
        logger.warning(
            "booking stock: repaired drift: seats %s, profiles +%d -%d",
            report.seats_fixed,
            report.profiles_added,
            report.profiles_removed,
        )
    return report
