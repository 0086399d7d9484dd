"""Prometheus metrics: what /metrics answers (common/metrics_endpoint.py).

Counters live with the app that counts (appointments/metrics.py, billing/metrics.py) and
are plain prometheus_client metrics. Figures read at scrape time (queue depth, outbox
backlog, the jobs' last successes) are readers an app registers from its AppConfig.ready:

    scrape_metrics_register("booking_tickets", booking_queue_metrics)

A reader returns metric families (prometheus_client.core.*MetricFamily), costs one cheap
aggregate query, and may fail: the database down costs that reader's figures only, and
`hospital_metrics_reader_up{reader}` says 0.

With several processes (gunicorn workers; PROMETHEUS_MULTIPROC_DIR set) each process's
counters are in files that MultiProcessCollector adds up.
"""

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

Reader = Callable[[], Iterable[Metric]]

_readers: dict[str, Reader] = {}


def scrape_metrics_register(name: str, reader: Reader) -> None:
    _readers[name] = reader


class ScrapeReaders:
    """A collector running every registered reader, each on its own."""

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "hospital_metrics_reader_up",
            "1 when the scrape-time reader answered, 0 when it failed (e.g. the database).",
            labels=["reader"],
        )
        for name, reader in list(_readers.items()):
            try:
                metrics = list(reader())
            except Exception as exc:  # any failure costs this reader's figures only
                logger.warning("metrics: the reader %s failed: %s", name, exc)
                up.add_metric([name], 0.0)
                continue
            up.add_metric([name], 1.0)
            yield from metrics
        yield up


def metrics_registry() -> CollectorRegistry:
    """This scrape's registry: the process's counters (or all processes'), then the readers."""
    registry = CollectorRegistry(auto_describe=False)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(REGISTRY)
    registry.register(ScrapeReaders())
    return registry
