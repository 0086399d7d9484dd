"""The seat stock (Redis pre-deduction) in tests: a real Redis, a namespace per test."""

import os
import uuid

import pytest
import redis

from appointments.stock import keys
from appointments.stock.client import stock_client, stock_outage_reset

REDIS_URL = os.environ.get("REDIS_URL", "")

needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="the seat stock needs a real Redis (REDIS_URL)"
)


@pytest.fixture
def stock(settings):
    """Pre-deduction on, in a namespace of this test's own; its keys dropped after."""
    settings.BOOKING_PREDEDUCT = True
    settings.BOOKING_STOCK_REDIS_URL = REDIS_URL
    settings.BOOKING_STOCK_NAMESPACE = f"t{uuid.uuid4().hex[:12]}"
    settings.BOOKING_TICKET_WAIT_MS = 0
    stock_outage_reset()
    yield stock_client()
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=keys.pattern(), count=1000):
        client.delete(key)
    stock_outage_reset()


def free_seats(client, slot_id: int) -> int | None:
    value = client.hget(keys.slot_key(slot_id), "free")
    return None if value is None else int(value)


def marked(client, session_id: int) -> set[int]:
    return {int(m) for m in client.smembers(keys.profiles_key(session_id))}
