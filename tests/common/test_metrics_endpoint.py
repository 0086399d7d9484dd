"""GET /metrics: never public (a token or an allowed network), the error shape when
refused, and the scrape-time readers failing on their own."""

import pytest
from django.test import Client
from prometheus_client.core import GaugeMetricFamily

from common import metrics
from tests.metrics_helpers import TOKEN, scrape, value

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def _networks(settings, *cidrs: str) -> None:
    import ipaddress

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(c) for c in cidrs]


def test_without_a_token_or_network_configured_metrics_do_not_exist(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []

    response = Client().get("/metrics", headers={"Authorization": "Bearer anything"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_right_token_gets_the_metrics(token):
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"django_http_requests_total_by_method_total" in response.content
    assert b"hospital_booking_tickets_queued" in response.content


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-wrong-token-xx"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ],
)
def test_a_missing_or_wrong_token_is_refused_in_the_error_shape(token, headers):
    response = Client().get("/metrics", headers=headers)

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "permission_denied",
            "message": "You do not have permission to perform this action.",
            "fields": {},
        }
    }


def test_an_address_in_an_allowed_network_gets_the_metrics_without_a_token(settings):
    _networks(settings, "10.0.0.0/8")

    inside = Client(REMOTE_ADDR="10.1.2.3").get("/metrics")
    outside = Client(REMOTE_ADDR="192.168.1.5").get("/metrics")

    assert inside.status_code == 200
    assert outside.status_code == 403


def test_x_forwarded_for_counts_only_when_trusted(settings):
    _networks(settings, "10.0.0.0/8")
    forwarded = {"X-Forwarded-For": "10.9.9.9"}

    settings.TRUST_X_FORWARDED_FOR = False
    untrusted = Client(REMOTE_ADDR="203.0.113.7").get("/metrics", headers=forwarded)
    settings.TRUST_X_FORWARDED_FOR = True
    trusted = Client(REMOTE_ADDR="203.0.113.7").get("/metrics", headers=forwarded)

    assert (untrusted.status_code, trusted.status_code) == (403, 200)


def test_the_token_is_enough_from_outside_the_allowed_networks(settings):
    _networks(settings, "10.0.0.0/8")
    settings.METRICS_TOKEN = TOKEN

    response = Client(REMOTE_ADDR="192.168.1.5").get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )

    assert response.status_code == 200


def test_a_failing_reader_costs_only_its_own_figures(token, monkeypatch):
    # given: a reader whose query fails, as with the database down
    def broken():
        raise RuntimeError("database down")

    def working():
        gauge = GaugeMetricFamily("probe_gauge", "probe")
        gauge.add_metric([], 7)
        return [gauge]

    monkeypatch.setattr(
        metrics, "_readers", {**metrics._readers, "broken": broken, "probe": working}
    )

    # when
    samples = scrape()

    # then
    assert value(samples, "hospital_metrics_reader_up", reader="broken") == 0
    assert value(samples, "hospital_metrics_reader_up", reader="probe") == 1
    assert value(samples, "probe_gauge") == 7
    assert value(samples, "hospital_metrics_reader_up", reader="booking_tickets") == 1


def test_with_a_multiprocess_folder_the_processes_counters_are_added_up(
    token, settings, tmp_path
):
    import subprocess
    import sys

    # given: two server processes that counted bookings into the shared folder
    count = (
        "from prometheus_client import Counter;"
        "Counter('hospital_bookings', 'd', ['path', 'result'])"
        ".labels(path='database', result='booked').inc({n})"
    )
    for n in (2, 3):
        subprocess.run(
            [sys.executable, "-c", count.format(n=n)],
            env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
            check=True,
        )
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)

    # when
    samples = scrape()

    # then: the files' sum, not this process's own counters; the readers still answer
    assert (
        value(samples, "hospital_bookings_total", path="database", result="booked") == 5
    )
    assert value(samples, "hospital_metrics_reader_up", reader="booking_tickets") == 1
