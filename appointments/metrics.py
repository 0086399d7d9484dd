"""Appointments' Prometheus metrics (common/metrics.py; README, "Observability").

Counted where the answer is decided, at no cost to the rush's refusals (a counter is an
in-memory addition, no query):

- hospital_bookings_total{path, result}: booking attempts by path ("stock": the Redis
  seat stock, "database": the database path) and result ("booked"; "queued": a seat won
  in the stock whose ticket the writer decides later; "refused").
- hospital_booking_refusals_total{path, code}: the refusals by their error code
  (slot_full, not_released_yet, ...), the stock's early refusal before DRF included.
- hospital_booking_tickets_decided_total{result}: tickets the writer decided.
- hospital_release_queue_joins_total{result}: joins of a release queue's waiting room
  ("joined", "held": the place already held, "fallback": Redis lost, or the refusal's code).
- hospital_release_queue_places_drawn_total: places given by the releases' draws.

Read at scrape time, one aggregate query each (registered in AppointmentsConfig.ready):
hospital_booking_tickets_queued (the writer's backlog) and
hospital_notifications_outbox{status} (notifications pending or being sent).
"""

from django.db.models import Count
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from appointments.models import BookingTicket, Notification

STOCK = "stock"
DATABASE = "database"

BOOKINGS = Counter(
    "hospital_bookings",
    "Booking attempts by path (stock, database) and result (booked, queued, refused).",
    ["path", "result"],
)
BOOKING_REFUSALS = Counter(
    "hospital_booking_refusals",
    "Booking refusals by path and error code.",
    ["path", "code"],
)
TICKETS_DECIDED = Counter(
    "hospital_booking_tickets_decided",
    "Booking tickets the writer decided, by result (booked, refused).",
    ["result"],
)

RELEASE_QUEUE_JOINS = Counter(
    "hospital_release_queue_joins",
    "Joins of a release queue's waiting room, by result (joined, held, fallback, or the "
    "refusal's code).",
    ["result"],
)
RELEASE_QUEUE_PLACES_DRAWN = Counter(
    "hospital_release_queue_places_drawn",
    "Places given by the release queues' draws.",
)


def release_queue_join_counted(result: str) -> None:
    RELEASE_QUEUE_JOINS.labels(result=str(result)).inc()


def release_queue_draw_counted(places: int) -> None:
    RELEASE_QUEUE_PLACES_DRAWN.inc(places)


def booking_counted(*, path: str, result: str) -> None:
    BOOKINGS.labels(path=path, result=result).inc()


def booking_refusal_counted(*, path: str, code: str) -> None:
    BOOKINGS.labels(path=path, result="refused").inc()
    BOOKING_REFUSALS.labels(path=path, code=str(code)).inc()


def tickets_decided_counted(*, booked: int, refused: int) -> None:
    if booked:
        TICKETS_DECIDED.labels(result="booked").inc(booked)
    if refused:
        TICKETS_DECIDED.labels(result="refused").inc(refused)


def booking_queue_metrics() -> list[GaugeMetricFamily]:
    queued = BookingTicket.objects.filter(status=BookingTicket.Status.QUEUED).count()
    gauge = GaugeMetricFamily(
        "hospital_booking_tickets_queued",
        "Booking tickets waiting for the writer.",
    )
    gauge.add_metric([], queued)
    return [gauge]


def outbox_metrics() -> list[GaugeMetricFamily]:
    backlog = {
        Notification.Status.PENDING: 0,
        Notification.Status.SENDING: 0,
    }
    rows = (
        Notification.objects.filter(status__in=list(backlog))
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    backlog.update(dict(rows))
    gauge = GaugeMetricFamily(
        "hospital_notifications_outbox",
        "Notifications not yet delivered, by status (pending, sending).",
        labels=["status"],
    )
    for status, n in backlog.items():
        gauge.add_metric([str(status)], n)
    return [gauge]
