"""The request id: taken from a sane X-Request-ID or made, answered, put on every log
record (as JSON with LOG_FORMAT=json), and carried into the Celery tasks a request
publishes."""

import io
import json
import logging
import logging.config

import pytest
from celery import Celery, shared_task
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import Client, RequestFactory

from common.request_context import (
    TASK_HEADER,
    RequestIdMiddleware,
    request_id_current,
)
from tests.accounts.factories import PatientProfileFactory
from tests.records.helpers import client_for

probe_logger = logging.getLogger("tests.request_id_probe")


@shared_task(name="tests.request_id_probe")
def request_id_probe() -> None:
    probe_logger.info("inside the task")


@pytest.fixture
def json_log():
    """The project's LOGGING with LOG_FORMAT=json, into a buffer."""
    config = json.loads(json.dumps(django_settings.LOGGING))
    config["formatters"]["json"]["()"] = "pythonjsonlogger.json.JsonFormatter"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.config.dictConfig(
        config | {"handlers": {}, "root": {"handlers": [], "level": "INFO"}}
    )
    factory = logging.config.DictConfigurator(config)
    handler.setFormatter(factory.configure_formatter(config["formatters"]["json"]))
    handler.addFilter(factory.configure_filter(config["filters"]["request_context"]))
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    logging.config.dictConfig(django_settings.LOGGING)


def test_a_sane_client_id_is_kept_and_answered():
    response = Client().get("/health/", headers={"X-Request-ID": "abc-123.DEF:9_x"})

    assert response["X-Request-ID"] == "abc-123.DEF:9_x"


@pytest.mark.parametrize("given", [None, "a b<script>", "a" * 65, "é"])
def test_an_insane_or_missing_client_id_is_replaced(given):
    headers = {"X-Request-ID": given} if given is not None else {}

    response = Client().get("/health/", headers=headers)

    assert len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"].isalnum()


@pytest.mark.django_db(transaction=True)
def test_the_asgi_server_gets_the_id_through_the_async_middleware():
    # The middleware is async-capable: under ASGI it runs as a coroutine (an async view,
    # the consult long-poll, stays async) and still answers the id.
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    from common.request_context import RequestIdMiddleware

    async def get():
        return await AsyncClient().get("/health/", headers={"X-Request-ID": "async-1"})

    response = async_to_sync(get)()

    assert response["X-Request-ID"] == "async-1"
    assert RequestIdMiddleware.async_capable is True


def test_every_request_gets_its_own_id():
    first, second = Client().get("/health/"), Client().get("/health/")

    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_json_records_hold_the_fields_a_collector_reads(json_log):
    def view(request):
        probe_logger.warning("in the view")
        return HttpResponse()

    RequestIdMiddleware(view)(
        RequestFactory().get("/", headers={"X-Request-ID": "req-43"})
    )

    [record] = [r for r in json_log() if r["message"] == "in the view"]
    assert record == {
        "timestamp": record["timestamp"],
        "level": "WARNING",
        "logger": "tests.request_id_probe",
        "message": "in the view",
        "request_id": "req-43",
        "user_id": None,
    }
    assert record["timestamp"][:2] == "20"  # asctime: 2026-11-28 15:30:00,123


@pytest.mark.django_db
def test_the_user_id_is_on_the_records_once_the_token_is_checked(json_log):
    from accounts.auth import JWTAuthentication

    profile = PatientProfileFactory()
    token = client_for(profile.user)._credentials["HTTP_AUTHORIZATION"].split()[1]

    def view(request):
        JWTAuthentication().get_validated_token(token.encode())
        probe_logger.warning("after the token")
        return HttpResponse()

    RequestIdMiddleware(view)(
        RequestFactory().get("/", headers={"X-Request-ID": "req-7"})
    )

    [record] = [r for r in json_log() if r["message"] == "after the token"]
    assert (record["request_id"], record["user_id"]) == ("req-7", str(profile.user.pk))
    assert request_id_current() is None  # nothing leaks past the request


def test_a_task_run_inline_within_a_request_logs_with_the_requests_id(json_log):
    # given: tasks run inline, as in the tests and a bare checkout
    def view(request):
        request_id_probe.delay()
        return HttpResponse()

    # when
    response = RequestIdMiddleware(view)(
        RequestFactory().get("/", headers={"X-Request-ID": "req-eager"})
    )

    # then
    [record] = [r for r in json_log() if r["message"] == "inside the task"]
    assert record["request_id"] == response["X-Request-ID"] == "req-eager"


def test_a_published_task_carries_the_id_to_the_worker(json_log):
    # given: a broker (kombu's in-memory one) and a task on it
    app = Celery("request-id-probe", broker="memory://", set_as_current=False)
    app.conf.task_always_eager = False

    @app.task(name="tests.request_id_probe_remote")
    def remote() -> None:
        probe_logger.info("inside the worker's task")

    def view(request):
        remote.delay()
        return HttpResponse()

    # when: a request publishes it
    RequestIdMiddleware(view)(
        RequestFactory().get("/", headers={"X-Request-ID": "req-sent"})
    )

    # then: the message carries the id ...
    with app.connection_for_read() as connection:
        message = connection.SimpleQueue("celery").get(timeout=1)
    assert message.headers[TASK_HEADER] == "req-sent"
    message.ack()

    # ... and the worker runs the task under it (the worker's request holds the headers),
    # then forgets it
    remote.apply(headers=message.headers)
    [record] = [r for r in json_log() if r["message"] == "inside the worker's task"]
    assert record["request_id"] == "req-sent"
    assert request_id_current() is None


def test_a_task_run_outside_a_request_gets_an_id_of_its_own_and_forgets_it(json_log):
    request_id_probe.apply()
    request_id_probe.apply()

    first, second = [r for r in json_log() if r["message"] == "inside the task"]
    assert first["request_id"] != second["request_id"]
    assert len(first["request_id"]) == 32
    assert request_id_current() is None


def test_a_workers_own_handlers_write_the_same_json_lines(settings):
    from common.request_context import celery_logging_setup

    # given: a handler as Celery sets one up for a worker (--logfile)
    settings.LOG_FORMAT = "json"
    stream = io.StringIO()
    worker_logger = logging.getLogger("tests.worker_probe")
    worker_logger.propagate = False
    worker_logger.addHandler(logging.StreamHandler(stream))

    # when: the worker's logging is set up, then a task logs under a request's id
    celery_logging_setup(logger=worker_logger)
    RequestIdMiddleware(
        lambda request: worker_logger.error("from the worker") or HttpResponse()
    )(RequestFactory().get("/", headers={"X-Request-ID": "req-worker"}))

    # then
    record = json.loads(stream.getvalue())
    assert (record["message"], record["level"], record["request_id"]) == (
        "from the worker",
        "ERROR",
        "req-worker",
    )
    worker_logger.handlers.clear()
