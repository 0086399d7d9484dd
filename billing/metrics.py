"""Billing's Prometheus metrics (common/metrics.py; README, "Observability").

hospital_payment_notifications_total{channel, result}: the channels' notifications
(billing/apis.py) by channel ("wechat", "alipay") and result ("handled"; "rejected": it
did not verify or match our records, the channel sends it again; "error": our bug, 500).
"""

from prometheus_client import Counter

PAYMENT_NOTIFICATIONS = Counter(
    "hospital_payment_notifications",
    "Payment channel notifications by channel and result (handled, rejected, error).",
    ["channel", "result"],
)


def payment_notification_counted(*, channel: str, result: str) -> None:
    PAYMENT_NOTIFICATIONS.labels(channel=channel, result=result).inc()
