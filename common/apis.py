import logging

from celery import current_app as celery_app
from django.db import connection
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import error_body
from common.cache import cache_status
from common.errors import ErrorCode
from common.health import health_checks
from common.schema import error_responses

logger = logging.getLogger(__name__)

OK = "ok"
DOWN = "down"
NOT_CONFIGURED = "not_configured"


class HealthApi(APIView):
    """Liveness and readiness, part by part.

    The database is the one part the service cannot work without: when it does not answer,
    503 in the error shape, with each part's state under `fields`. The cache (Redis) and the
    broker only accelerate or defer work (the cache answers as an empty cache, queued work
    is picked up by the sweeps), so with either down the answer is 200 with status
    "degraded". Each part is "ok", "down" or, for a broker when tasks run inline,
    "not_configured"; parts registered by the apps (common.health) follow, e.g. "booking":
    "fallback" while Redis fails and bookings take the database path.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.ChoiceField(choices=["ok", "degraded"]),
                    "checks": serializers.DictField(child=serializers.CharField()),
                },
            ),
            # The database is down: the error shape, each part's state under fields.
            **error_responses(503),
        }
    )
    def get(self, request: Request) -> Response:
        checks = {
            "database": _check_database(),
            "cache": cache_status(),
            "broker": _check_broker(),
            **{name: check() for name, check in health_checks().items()},
        }
        if checks["database"] != OK:
            return Response(
                error_body(
                    ErrorCode.DATABASE_UNAVAILABLE,
                    _("The database is not answering."),
                    checks,
                ),
                status=503,
            )
        healthy = all(value in (OK, NOT_CONFIGURED) for value in checks.values())
        return Response(
            {"status": "ok" if healthy else "degraded", "checks": checks}, status=200
        )


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means "down"
        logger.exception("health: the database did not answer")
        return DOWN
    return OK


def _check_broker() -> str:
    if celery_app.conf.task_always_eager or not celery_app.conf.broker_url:
        return NOT_CONFIGURED  # tasks run inline: there is no broker to lose
    try:
        # One quick attempt, no retry sleeps: a health check must answer at once.
        with celery_app.connection_for_write(connect_timeout=1) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=1
            )
    except Exception as exc:  # any transport error means "down"
        logger.warning(
            "health: the broker did not answer (%s: %s)", type(exc).__name__, exc
        )
        return DOWN
    return OK
