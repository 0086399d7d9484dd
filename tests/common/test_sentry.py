"""Sentry with SENTRY_DSN: the real SDK sends an error's event to a local fake ingest,
with no personal data in it (no body, cookie, Authorization, phone or user)."""

import json

import pytest
import sentry_sdk
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from common.sentry import event_scrub, sentry_init
from tests.fakes.sentry_server import FakeSentryServer

PHONE = "13812345678"
TOKEN = "Bearer secret-jwt-of-the-patient"


class ProbeFailure(Exception):
    pass


def failing_view(request: HttpRequest) -> HttpResponse:
    json.loads(request.body)  # the body was read, as a view reads it
    raise ProbeFailure("the view broke")


urlpatterns = [path("probe/boom/", failing_view)]


@pytest.fixture
def sentry(settings):
    settings.ROOT_URLCONF = __name__
    with FakeSentryServer() as server:
        sentry_init(dsn=server.dsn, environment="test", traces_sample_rate=0)
        yield server
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.init(dsn=None, default_integrations=False)


@pytest.mark.django_db
def test_an_error_in_a_view_reaches_sentry_without_personal_data(sentry):
    # when
    response = Client(raise_request_exception=False).post(
        f"/probe/boom/?phone={PHONE}",
        data=json.dumps({"phone": PHONE, "name": "张三"}),
        content_type="application/json",
        headers={
            "Authorization": TOKEN,
            "Cookie": f"sessionid=abc; phone={PHONE}",
            "X-Request-ID": "req-sentry-1",
            "User-Agent": "probe/1.0",
        },
    )
    sentry_sdk.flush(timeout=5)

    # then
    assert response.status_code == 500
    [event] = sentry.events()
    [exception] = event["exception"]["values"]
    assert exception["type"] == "ProbeFailure"
    assert event["environment"] == "test"
    assert event["tags"]["request_id"] == "req-sentry-1"
    headers = event.get("request", {}).get("headers", {})
    assert {name.lower() for name in headers} <= {"user-agent", "content-type"}
    assert "user" not in event
    raw = b"".join(sentry.envelopes)
    for secret in (PHONE.encode(), b"secret-jwt", b"sessionid", "张三".encode()):
        assert secret not in raw


def test_before_send_keeps_only_harmless_request_parts():
    event = {
        "request": {
            "url": "https://h.example/api/v1/accounts/me/",
            "method": "POST",
            "data": {"phone": PHONE},
            "cookies": {"sessionid": "abc"},
            "query_string": f"phone={PHONE}",
            "env": {"REMOTE_ADDR": "203.0.113.9"},
            "headers": {
                "Authorization": TOKEN,
                "Cookie": "sessionid=abc",
                "X-Forwarded-For": "203.0.113.9",
                "User-Agent": "probe/1.0",
                "Content-Type": "application/json",
            },
        },
        "user": {"id": "7", "ip_address": "203.0.113.9"},
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": "SELECT ... WHERE phone_hash = %s"},
                {"category": "django.request", "message": "kept"},
            ]
        },
    }

    scrubbed = event_scrub(event, {})

    assert scrubbed == {
        "request": {
            "url": "https://h.example/api/v1/accounts/me/",
            "method": "POST",
            "headers": {"User-Agent": "probe/1.0", "Content-Type": "application/json"},
        },
        "breadcrumbs": {"values": [{"category": "django.request", "message": "kept"}]},
    }
