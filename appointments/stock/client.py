"""The Redis that holds the seat stock, and whether it can be used now.

Pre-deduction is on when settings.BOOKING_PREDEDUCT is (by default whenever REDIS_URL is
set). Redis is an accelerator here as everywhere: when a call fails, the caller falls back
to the database path (correct, slower), and this module stops asking Redis for
OUTAGE_RETRY_SECONDS, so a Redis that hangs costs one socket timeout per interval, not one
per booking. The outage is logged when it starts and when it ends; `stock_status()` is what
/health/ reports.
"""

import logging
import threading
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

OUTAGE_RETRY_SECONDS = 2.0
ERRORS: tuple[type[BaseException], ...] = (redis.exceptions.RedisError, OSError)

_lock = threading.Lock()
_clients: dict[str, redis.Redis] = {}
_down_since: float | None = None
_retry_at = 0.0
_fallbacks = 0


def stock_enabled() -> bool:
    return bool(settings.BOOKING_PREDEDUCT and settings.BOOKING_STOCK_REDIS_URL)


def _client(*, socket_timeout: float) -> redis.Redis:
    """The process' client with this socket timeout (a pool shared by its threads)."""
    url = settings.BOOKING_STOCK_REDIS_URL
    key = f"{socket_timeout}:{url}"
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = redis.Redis.from_url(
                    url,
                    socket_timeout=socket_timeout,
                    socket_connect_timeout=settings.BOOKING_STOCK_TIMEOUT_SECONDS,
                    health_check_interval=30,
                )
                _clients[key] = client
    return client


def stock_client() -> redis.Redis:
    """The client for the stock's scripts: a short timeout, so a hung Redis costs little."""
    return _client(socket_timeout=settings.BOOKING_STOCK_TIMEOUT_SECONDS)


def stock_wait_client() -> redis.Redis:
    """A client for the request that waits on the writer's answer (BLPOP): its socket
    timeout is longer than the wait, which the stock's short timeout is not."""
    return _client(socket_timeout=settings.BOOKING_TICKET_WAIT_MS / 1000 + 1.0)


def stock_usable() -> bool:
    """On, and not in an outage (or the outage's retry time has come)."""
    return stock_enabled() and time.monotonic() >= _retry_at


def stock_failed(exc: BaseException) -> None:
    """A call to Redis failed: use the database path for the next few seconds."""
    global _down_since, _retry_at, _fallbacks
    with _lock:
        now = time.monotonic()
        _retry_at = now + OUTAGE_RETRY_SECONDS
        _fallbacks += 1
        if _down_since is None:
            _down_since = now
            logger.error(
                "booking stock: Redis failed (%s: %s); booking falls back to the "
                "database path",
                type(exc).__name__,
                exc,
            )


def stock_answered() -> None:
    """A call to Redis succeeded: an outage, if any, is over."""
    global _down_since, _fallbacks
    if _down_since is None:
        return
    with _lock:
        if _down_since is not None:
            logger.warning(
                "booking stock: Redis answers again after %.1f s; %d bookings took "
                "the database path meanwhile",
                time.monotonic() - _down_since,
                _fallbacks,
            )
            _down_since = None
            _fallbacks = 0


def stock_status() -> str:
    """For /health/: "ok", "fallback" (Redis failing: the database path serves bookings)
    or "not_configured" (pre-deduction off)."""
    if not stock_enabled():
        return "not_configured"
    if _down_since is not None and time.monotonic() < _retry_at:
        return "fallback"
    try:
        stock_client().ping()
    except ERRORS as exc:
        stock_failed(exc)
        return "fallback"
    stock_answered()
    return "ok"


def stock_outage_reset() -> None:
    """Forget the outage state (tests)."""
    global _down_since, _retry_at, _fallbacks
    with _lock:
        _down_since, _retry_at, _fallbacks = None, 0.0, 0
