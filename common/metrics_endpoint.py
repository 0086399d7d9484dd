"""GET /metrics: Prometheus's scrape, never public.

Answered to `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time) or to a
client address (common.api.client_ip, so X-Forwarded-For only with TRUST_X_FORWARDED_FOR)
inside METRICS_ALLOWED_NETWORKS; either is enough. Anything else is 403 in the error
shape; with neither configured the route answers 404, as if it did not exist.
"""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from common.api import client_ip, error_body, not_found_view
from common.metrics import metrics_registry


def metrics_access_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return True
    if settings.METRICS_ALLOWED_NETWORKS:
        try:
            address = ipaddress.ip_address(client_ip(request) or "")
        except ValueError:
            return False
        return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)
    return False


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS:
        return not_found_view(request)
    if not metrics_access_allowed(request):
        return JsonResponse(
            error_body(
                "permission_denied",
                _("You do not have permission to perform this action."),
            ),
            status=403,
            json_dumps_params={"ensure_ascii": False},
        )
    return HttpResponse(
        generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST
    )
