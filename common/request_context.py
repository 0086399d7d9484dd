"""The request id and the user id of what is being done now, for the logs.

A request's id comes from the client's X-Request-ID header when it is a sane token (at
most 64 characters of letters, digits and ``-_.:``), else a new one; it is answered in the
same header, so a client, the proxy's access log and our JSON logs name the request alike.
Both ids live in context variables, so every log record made while the request (or a
Celery task it published) runs carries them (RequestContextFilter). Celery: the id
travels in the task message's headers (`before_task_publish`), is restored before the
task runs (`task_prerun`) and cleared after (`task_postrun`); CommonConfig.ready connects
them.
"""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# The key in a Celery message's headers.
TASK_HEADER = "request_id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_user_id: ContextVar[str | None] = ContextVar("user_id", default=None)


def request_id_current() -> str | None:
    return _request_id.get()


def request_id_from_client(value: str | None) -> str:
    """The client's id when it is a sane token, else a new one."""
    if value and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


def request_user_set(user_id: object) -> None:
    """The authenticated user's id, once known (the JWT check or the session)."""
    _user_id.set(None if user_id in (None, "") else str(user_id))


class RequestIdMiddleware:
    """First in MIDDLEWARE after the metrics' own: sets the ids for the whole request.

    Sync and async alike: under the ASGI server an async view (the consult long-poll)
    stays async, not run in a thread because one middleware is sync only."""

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
        request_id, tokens = self._begin(request)
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            return response
        finally:
            self._end(tokens)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        request_id, tokens = self._begin(request)
        try:
            response = await self.get_response(request)
            response[HEADER] = request_id
            return response
        finally:
            self._end(tokens)

    @staticmethod
    def _begin(request: HttpRequest):
        request_id = request_id_from_client(request.headers.get(HEADER))
        request.request_id = request_id
        return request_id, (_request_id.set(request_id), _user_id.set(None))

    @staticmethod
    def _end(tokens) -> None:
        _request_id.reset(tokens[0])
        _user_id.reset(tokens[1])

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        # A session login (admin, workspace, portal): its user id is in the session,
        # which the page loads anyway; without a session cookie this reads nothing.
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            request_user_set(session.get("_auth_user_id"))
        return None


class RequestContextFilter(logging.Filter):
    """Adds request_id and user_id to every record (None outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.user_id = _user_id.get()
        return True


# -- Celery ------------------------------------------------------------------------------


def task_publish_tag(headers: dict | None = None, **kwargs) -> None:
    """before_task_publish: the publishing request's (or task's) id into the message."""
    request_id = _request_id.get()
    if headers is not None and request_id and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


# The ids a task's prerun set, by task id, for its postrun to put back.
_task_tokens: dict[str, tuple] = {}


def task_context_restore(task_id=None, task=None, **kwargs) -> None:
    """task_prerun: the id the message carries (or a new one) for the task's records."""
    request = getattr(task, "request", None)
    carried = getattr(request, TASK_HEADER, None)
    if carried is None:
        carried = (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    # A task run inline within a request (or another task) keeps the ids it already has.
    if carried is None and _request_id.get() is not None:
        return
    _task_tokens[str(task_id)] = (
        _request_id.set(request_id_from_client(carried)),
        _user_id.set(None),
    )


def task_context_clear(task_id=None, **kwargs) -> None:
    """task_postrun: the ids as they were before the task (none, in a worker)."""
    tokens = _task_tokens.pop(str(task_id), None)
    if tokens is None:
        return
    try:
        _request_id.reset(tokens[0])
        _user_id.reset(tokens[1])
    except ValueError:  # a pool that ran postrun in another context: forget them anyway
        _request_id.set(None)
        _user_id.set(None)


def celery_logging_setup(logger: logging.Logger | None = None, **kwargs) -> None:
    """after_setup_logger / after_setup_task_logger: a worker's handlers (Celery sets up
    its own, e.g. for --logfile) get the request id, and the JSON lines with
    LOG_FORMAT=json, as the web processes' do."""
    from django.conf import settings
    from pythonjsonlogger.json import JsonFormatter

    if logger is None:
        return
    options = {
        key: value
        for key, value in settings.LOGGING["formatters"]["json"].items()
        if key != "()"
    }
    for handler in logger.handlers:
        if not any(isinstance(f, RequestContextFilter) for f in handler.filters):
            handler.addFilter(RequestContextFilter())
        if settings.LOG_FORMAT == "json":
            handler.setFormatter(JsonFormatter(**options))
