"""The patient catalog cache: rendered answers, made stale at once by one version number.

An answer is cached as its rendered JSON bytes together with the catalog version it was
built under, so a hit runs no serializer and no JSON encoding. A read fetches the current
version and the answer in one cache round trip (`get_many`: one MGET on Redis) and serves
the answer only when its version is the current one.

Every write through hospitals.services bumps the version after its transaction commits.
No process keeps the version in memory: the next request in any process reads the new
number with the answer, sees the mismatch and rebuilds from the database. Old answers are
overwritten by the rebuild or expire (settings.CATALOG_CACHE_SECONDS).

The version is read before the database: if a write commits while an answer is being
built, the answer is stored under the old version and never served.

Holding the version in each process for a moment would save the round trip but let a
process serve a page a write has changed; a single MGET keeps every process exact.
`catalog_value` caches other reads of catalog rows the same way (a doctor's
bookability, read on every session list).
"""

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from common.renderers import JSONRenderer, RenderedJSON

VERSION_KEY = "hospitals:catalog:version"

T = TypeVar("T")


def catalog_version() -> int:
    version = cache.get(VERSION_KEY)
    return _version_start() if version is None else version


def _version_start() -> int:
    # Start from the clock rather than 1: if the key is evicted, a restarted count
    # could meet answers cached under an old number that have not expired yet.
    cache.add(VERSION_KEY, time.time_ns(), timeout=None)
    return cache.get(VERSION_KEY) or 0


def catalog_invalidate() -> None:
    """Make every cached catalog answer stale. Call it with transaction.on_commit."""
    current = cache.get(VERSION_KEY) or 0
    cache.set(VERSION_KEY, max(current + 1, time.time_ns()), timeout=None)


def catalog_lookup(key: str) -> tuple[bytes | None, int]:
    """The answer cached under `key` if it is of the current version (else None), and
    the current version, to store a rebuilt answer under. One cache round trip."""
    value, version = _lookup(key)
    return (None if value is _MISSING else value), version


def catalog_answer(
    key: str, build: Callable[[], Any], *, seconds: int | None = None
) -> RenderedJSON:
    """The answer cached under `key` if it is of the current catalog version; otherwise
    `build()`'s data, rendered, stored for `seconds` (CATALOG_CACHE_SECONDS by default).

    What `build` raises (a 400, a 404) propagates, and nothing is stored: only answers
    are cached, so refusals are checked again on every request.
    """
    content, version = _lookup(key)
    if content is _MISSING:
        content = JSONRenderer().render(build())
        _store(key, version, content, seconds)
    return RenderedJSON(content)


def catalog_value(key: str, compute: Callable[[], T]) -> T:
    """`compute()`'s value (None too), cached under `key` like an answer: for reads of
    catalog rows that other apps make on every request (a doctor's bookability)."""
    value, version = _lookup(key)
    if value is _MISSING:
        value = compute()
        _store(key, version, value, None)
    return value


_MISSING: Any = object()


def _lookup(key: str) -> tuple[Any, int]:
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        return _MISSING, _version_start()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1], version
    return _MISSING, version


def _store(key: str, version: int, value: Any, seconds: int | None) -> None:
    timeout = settings.CATALOG_CACHE_SECONDS if seconds is None else seconds
    cache.set(key, (version, value), timeout)
