"""The cache is an accelerator, never a dependency of correctness.

Every rule is enforced by the database; the cache only saves queries (catalog pages,
availability, the sold-out flag, the SMS resend guard, WeChat's access token). So when Redis
cannot be reached, the cache answers as an empty cache would: reads miss, writes and deletes
do nothing, `add` stores nothing, `incr` finds no key. Requests then go to the database,
slower, and nothing that committed turns into a 500 because an after-commit cache delete failed.

`FailSoftRedisCache` is django-redis' backend with that behaviour (settings.CACHES uses it
whenever REDIS_URL is set). After a failure it stops asking Redis for OUTAGE_RETRY_SECONDS,
so a Redis that hangs instead of refusing costs one socket timeout per interval, not one per
call. The outage is logged when it starts, at most once per OUTAGE_LOG_SECONDS while it
lasts, and when it ends, with the number of calls answered as misses.

While the cache is unreachable its invalidations are lost too: an instance that can still
reach Redis may serve what it cached before for as long as that entry lives (catalog pages
CATALOG_CACHE_SECONDS, availability AVAILABILITY_CACHE_SECONDS, the sold-out flag
SOLD_OUT_CACHE_SECONDS). Every write is checked against the database, so that is staleness
of display, never a wrong booking.

`cache_status()` is what /health/ reports: "ok" or "down".
"""

import logging
import threading
import time
from dataclasses import dataclass

import redis.exceptions
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger(__name__)

# What an unreachable, overloaded, failing-over or wrong server raises. Anything else (a
# value that cannot be pickled, a bad argument) is our bug and still raises.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionInterrupted,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ResponseError,  # OOM with noeviction, READONLY replica, LOADING
    redis.exceptions.InvalidResponse,  # something else listens on the port
    OSError,
)

_PROBE_KEY = "common:cache:probe"


@dataclass
class _Outage:
    """One cache server's outage state in this process (shared by all its threads)."""

    down_since: float | None = None
    retry_at: float = 0.0
    logged_at: float = 0.0
    missed: int = 0  # calls answered as a miss since the outage started
    outages: int = 0  # outages seen since the process started


_outages: dict[str, _Outage] = {}
_lock = threading.Lock()


class FailSoftRedisCache(RedisCache):
    """django-redis' RedisCache that answers as an empty cache while Redis is unreachable.

    OPTIONS, besides django-redis' own: OUTAGE_RETRY_SECONDS (default 5), how long to answer
    misses without asking Redis after a failure; OUTAGE_LOG_SECONDS (default 60), how often
    a continuing outage is logged again.
    """

    def __init__(self, server: str, params: dict) -> None:
        options = dict(params.get("OPTIONS") or {})
        self._retry_seconds = float(options.pop("OUTAGE_RETRY_SECONDS", 5))
        self._log_seconds = float(options.pop("OUTAGE_LOG_SECONDS", 60))
        options["IGNORE_EXCEPTIONS"] = False  # this class decides, not django-redis
        super().__init__(server, {**params, "OPTIONS": options})
        with _lock:
            self._outage = _outages.setdefault(str(server), _Outage())

    # -- the outage bookkeeping -------------------------------------------------------

    def _skip(self) -> bool:
        """True while a recent failure says Redis is down: answer without asking it."""
        with _lock:
            if (
                self._outage.down_since is None
                or time.monotonic() >= self._outage.retry_at
            ):
                return False
            self._outage.missed += 1
            return True

    def _failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        with _lock:
            outage = self._outage
            starting = outage.down_since is None
            if starting:
                outage.down_since = now
                outage.missed = 0
                outage.outages += 1
            outage.missed += 1
            outage.retry_at = now + self._retry_seconds
            log = starting or now - outage.logged_at >= self._log_seconds
            if log:
                outage.logged_at = now
            missed, lasted = outage.missed, now - outage.down_since
        if log:
            logger.error(
                "cache unreachable (%s: %s) for %.0f s; answering as an empty cache "
                "(%d calls so far)",
                exc.__class__.__name__,
                exc,
                lasted,
                missed,
            )

    def _succeeded(self) -> None:
        with _lock:
            outage = self._outage
            if outage.down_since is None:
                return
            lasted = time.monotonic() - outage.down_since
            missed = outage.missed
            outage.down_since = None
        logger.warning(
            "cache reachable again after %.0f s; %d calls were answered as misses",
            lasted,
            missed,
        )

    def _soft(self, fallback, method, *args, **kwargs):
        if self._skip():
            return fallback
        try:
            result = method(*args, **kwargs)
        except OUTAGE_ERRORS as exc:
            self._failed(exc)
            return fallback
        self._succeeded()
        return result

    @property
    def is_down(self) -> bool:
        return self._outage.down_since is not None

    def probe(self) -> bool:
        """Ask Redis now, whatever the recent failures: True when a value round-trips."""
        try:
            super().set(_PROBE_KEY, "1", 5)
            answered = super().get(_PROBE_KEY) == "1"
        except OUTAGE_ERRORS as exc:
            self._failed(exc)
            return False
        if answered:
            self._succeeded()
        return answered

    # -- Django's cache API, as an empty cache would answer it ------------------------

    def get(self, key, default=None, version=None, client=None):
        return self._soft(default, super().get, key, default, version, client)

    def get_many(self, *args, **kwargs):
        return self._soft({}, super().get_many, *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._soft(False, super().has_key, *args, **kwargs)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, *args, **kwargs):
        return self._soft(False, super().set, key, value, timeout, *args, **kwargs)

    def set_many(self, data, *args, **kwargs):
        # Django's contract: the keys that could not be stored.
        return self._soft(list(data), super().set_many, data, *args, **kwargs)

    def add(self, *args, **kwargs):
        return self._soft(False, super().add, *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._soft(False, super().touch, *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._soft(False, super().delete, *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._soft(None, super().delete_many, *args, **kwargs)

    def clear(self):
        return self._soft(None, super().clear)

    def incr(self, key, delta=1, version=None, client=None, **kwargs):
        value = self._soft(
            _MISSING, super().incr, key, delta, version=version, client=client, **kwargs
        )
        if value is _MISSING:
            # Django's answer for a key the cache does not hold; callers already handle it.
            raise ValueError(f"Key '{key}' not found (the cache is unreachable)")
        return value

    def decr(self, key, delta=1, version=None, client=None, **kwargs):
        return self.incr(key, -delta, version=version, client=client, **kwargs)


_MISSING = object()


def cache_is_down(alias: str = "default") -> bool:
    """True while the cache is known to be unreachable (a recent call failed)."""
    backend = caches[alias]
    return isinstance(backend, FailSoftRedisCache) and backend.is_down


def cache_status(alias: str = "default") -> str:
    """ "ok" when the cache answers now, else "down" (for /health/)."""
    backend = caches[alias]
    if isinstance(backend, FailSoftRedisCache):
        return "ok" if backend.probe() else "down"
    try:  # a local-memory or other backend: a round trip says it works
        backend.set(_PROBE_KEY, "1", 5)
        answered = backend.get(_PROBE_KEY) == "1"
    except Exception:  # noqa: BLE001 (any backend error means "down")
        logger.exception("cache probe failed")
        return "down"
    return "ok" if answered else "down"
