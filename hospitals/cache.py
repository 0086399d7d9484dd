"""The patient catalog cache: one version number makes every cached page stale at once.

Cached pages are stored under the current catalog version (Django's cache `version=`).
Every write through hospitals.services bumps the version after its transaction commits,
so the next read misses and rebuilds from the database; old pages simply expire.
"""

import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

VERSION_KEY = "hospitals:catalog:version"

T = TypeVar("T")


def catalog_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # Start from the clock rather than 1: if the key is evicted, a restarted count
        # could meet pages cached under an old number that have not expired yet.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version or 0


def catalog_invalidate() -> None:
    """Make every cached catalog page stale. Call it with transaction.on_commit."""
    current = cache.get(VERSION_KEY) or 0
    cache.set(VERSION_KEY, max(current + 1, time.time_ns()), timeout=None)


def catalog_cached(key: str, compute: Callable[[], T]) -> T:
    """Return the cached value for `key`, computing and storing it on a miss.

    The version is read before computing: if a write commits meanwhile, the value is
    stored under the old version and never served again.
    """
    version = catalog_version()
    value = cache.get(key, version=version)
    if value is None:
        value = compute()
        cache.set(key, value, settings.CATALOG_CACHE_SECONDS, version=version)
    return value
