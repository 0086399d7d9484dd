import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils.translation import gettext

from common.crypto import DecryptionError, decrypt, encrypt, lookup_hash, mask
from common.job_runs import job_run_record
from common.models import JobRun
from config.celery import app as celery_app
from config.settings import redis_caches
from tests.fakes.redis_server import closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_seat_stock(settings):
    """The health answers below are the core parts'; the seat stock's part ("booking") is
    "not_configured" here and tested with the stock (tests/appointments/test_stock.py)."""
    settings.BOOKING_PREDEDUCT = False


@pytest.fixture
def broker():
    """Set the Celery app's broker for one test: broker("amqp://..."), or None for inline."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager)

    def use(url: str | None) -> None:
        conf.broker_url = url or ""
        conf.task_always_eager = url is None

    yield use
    conf.broker_url, conf.task_always_eager = saved


def test_health_reports_each_part(api_client, broker):
    # given: tasks run inline, so there is no broker
    broker(None)

    # when
    response = api_client.get(reverse("health"))

    # then
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "cache": "ok",
            "broker": "not_configured",
            "booking": "not_configured",
            "replica": "not_configured",
            "jobs": "not_configured",
        },
    }


def test_health_reports_a_reachable_broker(api_client, broker):
    # given: kombu's folder transport, a real broker that needs no server, and a beat
    # that has just started (common/job_runs.py)
    broker("filesystem://")
    job_run_record(name=JobRun.BEAT, started=True)

    response = api_client.get(reverse("health"))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"]["broker"] == "ok"
    assert response.json()["checks"]["jobs"] == "ok"


def test_health_answers_200_degraded_when_the_broker_is_down(api_client, broker):
    broker(f"amqp://guest:guest@127.0.0.1:{closed_port()}//")

    response = api_client.get(reverse("health"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {
            "database": "ok",
            "cache": "ok",
            "broker": "down",
            "booking": "not_configured",
            "replica": "not_configured",
            # a broker, so a beat is expected; none ever wrote its heartbeat
            "jobs": "not_started",
        },
    }


def test_health_answers_200_degraded_when_the_cache_is_down(
    api_client, broker, settings
):
    # given: the real Redis backend pointed at a port where nothing listens
    broker(None)
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{closed_port()}/0")

    response = api_client.get(reverse("health"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {
            "database": "ok",
            "cache": "down",
            "broker": "not_configured",
            "booking": "not_configured",
            "replica": "not_configured",
            "jobs": "not_configured",
        },
    }


class _DownConnection:
    def cursor(self):
        raise OperationalError('(2003, "Can\'t connect to MySQL server")')


def test_health_answers_503_in_the_error_shape_when_the_database_is_down(
    api_client, broker, monkeypatch
):
    # given: the database driver refuses every connection
    broker(None)
    monkeypatch.setattr("common.apis.connection", _DownConnection())

    response = api_client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "database_unavailable",
            "message": "The database is not answering.",
            "fields": {
                "database": "down",
                "cache": "ok",
                "broker": "not_configured",
                "booking": "not_configured",
                "replica": "not_configured",
                "jobs": "not_configured",
            },
        }
    }


def test_an_unknown_url_answers_the_error_shape(client):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": gettext("Not found."), "fields": {}}
    }


def test_the_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/appointments/book/" in schema.content
    assert docs.status_code == 200


def test_encryption_round_trips_and_detects_tampering():
    token = encrypt("11010519491231002X", context="id")

    assert "11010519491231002X" not in token
    assert decrypt(token, context="id") == "11010519491231002X"
    with pytest.raises(DecryptionError):
        decrypt(token, context="phone")  # bound to its context
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(DecryptionError):
        decrypt(tampered, context="id")


def test_two_encryptions_differ_but_the_lookup_hash_is_stable():
    assert encrypt("x", context="c") != encrypt("x", context="c")
    assert lookup_hash("x", context="c") == lookup_hash("x", context="c")
    assert lookup_hash("x", context="c") != lookup_hash("x", context="d")


def test_masking():
    assert mask("110105194912310021") == "110***********0021"
    assert mask("13800138000") == "138****8000"
    assert mask("1234567") == "*******"


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    # --fail-on-warn: a view whose request or answer the docs cannot describe fails here
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yml"),
    )

    assert "/api/v1/appointments/book/" in (tmp_path / "schema.yml").read_text()


def test_a_browser_gets_a_page_for_an_unknown_page_and_json_for_the_api(client):
    browser = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}

    page = client.get("/h5/no-such-page/", **browser)
    api = client.get("/api/v1/no-such-thing/", **browser)
    script = client.get("/h5/no-such-page/", HTTP_ACCEPT="application/json")

    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    assert gettext("Page not found") in page.content.decode()
    assert api.status_code == script.status_code == 404
    assert api.json()["error"]["code"] == script.json()["error"]["code"] == "not_found"


def test_a_server_error_is_a_page_for_a_browser_and_the_error_shape_for_the_api(rf):
    from common.api import server_error_view

    page = server_error_view(rf.get("/h5/", HTTP_ACCEPT="text/html"))
    api = server_error_view(rf.get("/api/v1/hospitals/", HTTP_ACCEPT="text/html"))

    assert page.status_code == api.status_code == 500
    assert gettext("Server error, please try again later.") in page.content.decode()
    assert api["Content-Type"] == "application/json"
    assert api.content.startswith(b'{"error": {"code": "server_error"')
