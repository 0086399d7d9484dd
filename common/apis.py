from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.CharField(),
        "checks": serializers.DictField(child=serializers.CharField()),
    },
)


class HealthApi(APIView):
    """Liveness and readiness: answers 200 only when the database and the cache respond."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: HEALTH, 503: HEALTH})
    def get(self, request: Request) -> Response:
        checks = {"database": _check_database(), "cache": _check_cache()}
        healthy = all(value == "ok" for value in checks.values())
        return Response(
            {"status": "ok" if healthy else "error", "checks": checks},
            status=200 if healthy else 503,
        )


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_cache() -> str:
    try:
        cache.set("health:probe", "1", 5)
        if cache.get("health:probe") != "1":
            return "error: value not read back"
    except Exception as exc:  # any cache client error means "not ready"
        return f"error: {exc.__class__.__name__}"
    return "ok"
