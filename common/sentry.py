"""Sentry, when SENTRY_DSN is set (config/settings.py calls sentry_init).

Patients' data never leaves: no default PII (user details, IP addresses), and before_send
drops what a request could carry of it: the body, cookies, the query string and every
header but a few harmless ones. The request id (common/request_context.py) is attached as
a tag, so an event can be matched with the JSON logs.
"""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from common.request_context import request_id_current

# Headers kept on an event's request; every other one (Authorization, Cookie,
# X-Forwarded-For, a payment channel's signature...) is dropped.
KEPT_HEADERS = frozenset({"accept", "accept-language", "content-type", "user-agent"})


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    # No send_default_pii: False is the SDK's default, and this SDK deprecates the option
    # (a warning at every start); before_send removes what a request holds anyway.
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        max_request_body_size="never",
        include_local_variables=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=event_scrub,
    )


def event_scrub(event: dict, hint: dict) -> dict:
    """before_send: the event without anything personal the request held."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value
                for name, value in headers.items()
                if name.lower() in KEPT_HEADERS
            }
    event.pop("user", None)
    # SQL breadcrumbs may hold a query's values (a phone's lookup hash, a name).
    breadcrumbs = event.get("breadcrumbs")
    values = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else None
    if isinstance(values, list):
        breadcrumbs["values"] = [
            crumb for crumb in values if crumb.get("category") != "query"
        ]
    request_id = request_id_current()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event
