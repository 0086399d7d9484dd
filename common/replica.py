"""Reads that may lag: the opt-in to the read replica, and read-your-writes.

With DATABASE_REPLICA_URL set, settings add the "replica" database. A read goes there only
when the code says it tolerates lag (`reads_may_lag`, `replica_reads()`), no transaction is
open on the primary, the caller has not written (in this request or task, or, for a signed-in
user, within READ_YOUR_WRITES_SECONDS in an earlier request) and the replica answers without
lagging more than REPLICA_MAX_LAG_SECONDS (common.replica_health). Everything else reads the
primary. common.db_router asks `read_alias()`; the decision itself is `read_alias_for()`.

State lives in context variables, so threads and ASGI tasks each have their own; the
middleware and the Celery signals give each request and task a fresh one. A write is any
statement on the primary that is not a read (common.replica_writes watches them), so
update(), bulk and raw SQL count as well as save().
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse

from common.databases import PRIMARY, REPLICA, replica_in_effect
from common.replica_health import replica_failed, replica_usable

T = TypeVar("T")


@dataclass
class ReadContext:
    """What one request, task or thread has done that decides where it may read."""

    request: HttpRequest | None = None
    wrote: bool = False  # a write on the primary in this request or task
    user_wrote: bool | None = None  # the signed-in user's mark, once read
    resolving_user: bool = False  # reading request.user: those reads go to the primary
    used_replica: bool = False


_context: ContextVar[ReadContext | None] = ContextVar("replica_context", default=None)
_lag_ok: ContextVar[bool] = ContextVar("replica_reads_may_lag", default=False)


def read_context() -> ReadContext:
    """This context's state; outside a request or task (a shell, a command), one for the
    thread, created on first use and kept, so a write there sends its reads to the primary."""
    state = _context.get()
    if state is None:
        state = ReadContext()
        _context.set(state)
    return state


def read_context_begin(request: HttpRequest | None = None) -> None:
    _context.set(ReadContext(request=request))


def read_context_end() -> None:
    _context.set(None)


_task_tokens: dict[str, Token] = {}


def task_context_begin(task_id: str = "", **kwargs: Any) -> None:
    """Celery task_prerun: a fresh context for the task (the worker's thread outlives it)."""
    _task_tokens[task_id] = _context.set(ReadContext())


def task_context_end(task_id: str = "", **kwargs: Any) -> None:
    """Celery task_postrun: back to the caller's context. A task run inline (no broker)
    that wrote counts as its caller's write."""
    token = _task_tokens.pop(task_id, None)
    if token is None:
        return
    wrote = read_context().wrote
    _context.reset(token)
    if wrote:
        note_write()


def read_alias_for(
    *,
    replica_configured: bool,
    opted_in: bool,
    in_transaction: bool,
    wrote: bool,
    replica_usable: bool,
) -> str:
    """The database a read goes to. Pure: common.db_router's rules, tested on their own.

    `wrote` (the caller's own recent write) and `replica_usable` (it answers, not lagging)
    are the expensive parts, so `read_alias` asks them only when the rest allows the replica.
    """
    if (
        replica_configured
        and opted_in
        and not in_transaction
        and not wrote
        and replica_usable
    ):
        return REPLICA
    return PRIMARY


def read_alias() -> str:
    """read_alias_for() for the current context (the router's db_for_read)."""
    if not _lag_ok.get() or not replica_in_effect():
        return PRIMARY
    state = read_context()
    # Each question only when the answers before it still allow the replica.
    in_transaction = connections[PRIMARY].in_atomic_block
    wrote = not in_transaction and _wrote_recently(state)
    usable = not in_transaction and not wrote and replica_usable()
    alias = read_alias_for(
        replica_configured=True,
        opted_in=True,
        in_transaction=in_transaction,
        wrote=wrote,
        replica_usable=usable,
    )
    if alias == REPLICA:
        state.used_replica = True
    return alias


def write_mark_key(user_id: Any) -> str:
    return f"replica:wrote:{user_id}"


def _wrote_recently(state: ReadContext) -> bool:
    if state.wrote or state.resolving_user:
        # Reading request.user below (its session and row): on the primary.
        return True
    if state.user_wrote is not None:
        return state.user_wrote
    user_id = _user_id(state)
    if user_id is None:
        # Anonymous so far: DRF may still authenticate a token, so ask again next time.
        return False
    state.user_wrote = cache.get(write_mark_key(user_id)) is not None
    return state.user_wrote


def _user_id(state: ReadContext) -> Any:
    if state.request is None:
        return None
    state.resolving_user = True
    try:
        user = getattr(state.request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return user.pk
    finally:
        state.resolving_user = False


def note_write() -> None:
    read_context().wrote = True


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside may be served by the replica (and so lag by up to
    REPLICA_MAX_LAG_SECONDS). A replica failing mid-block propagates: use the decorator
    where a retry on the primary must be automatic."""
    token = _lag_ok.set(True)
    try:
        yield
    finally:
        _lag_ok.reset(token)


def reads_may_lag(func: Callable[..., T]) -> Callable[..., T]:
    """Run `func` with replica_reads(); if the replica fails under it, mark the replica
    down and run `func` again on the primary, so a dead replica is never a 500.

    Only for functions that only read: they may run twice.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        state = read_context()
        used_before, state.used_replica = state.used_replica, False
        try:
            with replica_reads():
                return func(*args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            if not state.used_replica:
                raise
            replica_failed(exc)
        finally:
            state.used_replica = state.used_replica or used_before
        return func(*args, **kwargs)

    return wrapper


def replica_cache_seconds(seconds: int | None) -> int | None:
    """How long to keep an answer built under reads_may_lag: at most
    REPLICA_CACHE_SECONDS while a replica is configured, so an answer built from a replica
    that had not yet applied a write is not kept until the next write."""
    if not replica_in_effect():
        return seconds
    cap = settings.REPLICA_CACHE_SECONDS
    return cap if seconds is None else min(seconds, cap)


class ReadYourWritesMiddleware:
    """A fresh read context per request; after a request that wrote, the signed-in user's
    next requests read the primary for READ_YOUR_WRITES_SECONDS (a cache key, so every web
    process sees it). Without a replica it does nothing."""

    # Sync and async alike, so an async view stays async under the ASGI server.
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.async_mode:
            return self.__acall__(request)
        if not replica_in_effect():
            return self.get_response(request)
        read_context_begin(request)
        try:
            response = self.get_response(request)
            if (user_id := self._wrote_as()) is not None:
                cache.set(write_mark_key(user_id), 1, settings.READ_YOUR_WRITES_SECONDS)
            return response
        finally:
            read_context_end()

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        if not replica_in_effect():
            return await self.get_response(request)
        read_context_begin(request)
        try:
            response = await self.get_response(request)
            if (user_id := self._wrote_as()) is not None:
                await cache.aset(
                    write_mark_key(user_id), 1, settings.READ_YOUR_WRITES_SECONDS
                )
            return response
        finally:
            read_context_end()

    @staticmethod
    def _wrote_as():
        """The signed-in user whose request wrote, or None."""
        state = read_context()
        return _user_id(state) if state.wrote else None
