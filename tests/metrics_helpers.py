"""Reading /metrics back in tests, as Prometheus would: the text format, parsed."""

from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-test-token-0123456789"


def scrape(client: Client | None = None, *, token: str = TOKEN) -> dict:
    """Every sample of /metrics: {(sample name, ((label, value), ...)): value}."""
    response = (client or Client()).get(
        "/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    """One sample's value; 0 for a labelled counter not yet incremented."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
