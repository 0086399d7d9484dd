"""A short-lived "sold out" flag per slot, so a rush of bookers for a full slot is answered
without touching the database.

Booking sets it when its conditional UPDATE finds no seat; anything that gives seats back
(a cancel, an expired hold, 加号) clears it after commit. It also expires by itself within
SOLD_OUT_CACHE_SECONDS, so where the cache is per process (locmem) the other processes learn
of returned seats within those seconds: a flag that outlived its truth would undersell.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone


def _sold_out_key(slot_id: int) -> str:
    return f"scheduling:slot-sold-out:{slot_id}"


def slot_is_known_sold_out(*, slot_id: int) -> bool:
    """A recent booking found the slot full: refuse without asking the database."""
    until = cache.get(_sold_out_key(slot_id))
    # Our clock decides, not only the cache server's timeout (see slot_mark_sold_out).
    return until is not None and timezone.now().timestamp() < until


def slot_mark_sold_out(*, slot_id: int) -> None:
    seconds = settings.SOLD_OUT_CACHE_SECONDS
    until = timezone.now().timestamp() + seconds
    cache.set(_sold_out_key(slot_id), until, timeout=seconds)


def slot_seats_returned(*, slot_id: int) -> None:
    """Call inside the transaction that gives seats back; clears the flag after commit."""
    transaction.on_commit(lambda: cache.delete(_sold_out_key(slot_id)))
