"""common.cache: while Redis is unreachable the cache answers as an empty cache would.

The real redis-py client (through django-redis) talks to a closed port or to a small fake
Redis that can refuse, hang or answer.
"""

import logging
import pickle
import time

import pytest
from django.core.cache import cache as default_cache

import common.cache
from common.cache import FailSoftRedisCache, cache_status
from tests.fakes.redis_server import FakeRedis, closed_port


def backend(url: str, **options) -> FailSoftRedisCache:
    return FailSoftRedisCache(
        url,
        {"OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5} | options},
    )


@pytest.fixture(autouse=True)
def fresh_outage_state(monkeypatch):
    # The outage state is per server URL for the whole process. A port that one test
    # found closed can be the port the next test's fake server binds, so each test
    # starts with none of it.
    monkeypatch.setattr(common.cache, "_outages", {})


@pytest.fixture
def redis_server():
    with FakeRedis() as server:
        yield server


def test_with_redis_unreachable_every_call_answers_as_an_empty_cache():
    # given: a Redis URL where nothing listens (no retry pause, so each call tries)
    cache = backend(f"redis://127.0.0.1:{closed_port()}/0", OUTAGE_RETRY_SECONDS=0)

    # when / then: reads miss, writes store nothing, nothing raises
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.add("k", 1) is False
    assert cache.set("k", 1) is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.touch("k") is False
    assert cache.delete("k") is False
    assert cache.delete_many(["a", "b"]) is None
    assert cache.get_or_set("k", lambda: "computed") == "computed"
    # incr and decr answer as for a key the cache does not hold
    with pytest.raises(ValueError, match="not found"):
        cache.incr("counter")
    with pytest.raises(ValueError, match="not found"):
        cache.decr("counter")
    assert cache.is_down is True


def test_an_outage_is_logged_once_per_interval_not_once_per_call(caplog):
    cache = backend(
        f"redis://127.0.0.1:{closed_port()}/0",
        OUTAGE_RETRY_SECONDS=0,
        OUTAGE_LOG_SECONDS=60,
    )

    with caplog.at_level(logging.WARNING, logger="common.cache"):
        for _ in range(5):
            cache.get("k")

    assert len(caplog.records) == 1
    assert caplog.records[0].levelname == "ERROR"
    assert caplog.messages[0].startswith("cache unreachable (ConnectionError: ")
    assert caplog.messages[0].endswith("answering as an empty cache (1 calls so far)")


def test_a_hung_redis_costs_one_timeout_per_retry_interval_not_one_per_call(
    redis_server,
):
    # given: a Redis that accepts connections and never answers
    redis_server.state = "hang"
    cache = backend(redis_server.url, SOCKET_TIMEOUT=0.3, OUTAGE_RETRY_SECONDS=30)

    # when: the first call waits out the socket timeout...
    started = time.monotonic()
    first = cache.get("k")
    first_took = time.monotonic() - started
    # ... and the next ones, within the retry interval, do not ask Redis at all
    started = time.monotonic()
    rest = [cache.get("k") for _ in range(20)]
    rest_took = time.monotonic() - started

    # then
    assert first is None
    assert first_took >= 0.3
    assert rest == [None] * 20
    assert rest_took < 0.3
    assert redis_server.connections == 1


def test_calls_reach_redis_again_once_it_is_back_and_the_recovery_is_logged(
    redis_server, caplog
):
    # given: Redis drops every connection, and a value could not be stored
    redis_server.state = "down"
    cache = backend(redis_server.url, OUTAGE_RETRY_SECONDS=0)
    with caplog.at_level(logging.WARNING, logger="common.cache"):
        cache.set("k", "lost", 30)

        # when: it answers again
        redis_server.state = "up"
        cache.set("k", "kept", 30)
        value = cache.get("k")

    # then: the value round-trips, and both ends of the outage are in the log
    assert value == "kept"
    assert cache.is_down is False
    assert [r.levelname for r in caplog.records] == ["ERROR", "WARNING"]
    assert caplog.messages[1].startswith("cache reachable again after ")
    assert caplog.messages[1].endswith("1 calls were answered as misses")


def test_the_health_probe_asks_redis_even_within_the_retry_interval(
    redis_server, settings
):
    # given: the configured cache failed a moment ago and then Redis came back
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.FailSoftRedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"SOCKET_TIMEOUT": 0.5, "OUTAGE_RETRY_SECONDS": 300},
        }
    }
    redis_server.state = "down"
    assert cache_status() == "down"
    redis_server.state = "up"

    # when
    status = cache_status()

    # then: reported up at once, and the cache is used again
    assert status == "ok"
    default_cache.set("k", 1, 30)
    assert default_cache.get("k") == 1


def test_errors_that_are_not_an_outage_still_raise(redis_server):
    # A value that cannot be stored is our bug: it must not be hidden as a miss.
    cache = backend(redis_server.url)

    with pytest.raises((pickle.PicklingError, AttributeError)):
        cache.set("k", lambda: None, 30)
    assert cache.is_down is False
