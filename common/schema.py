"""OpenAPI generation (drf-spectacular) for the project's one-APIView-per-action style.

Every error answer is documented with the one error shape: a view lists the statuses it
answers with `error_responses(400, 404, ...)`; AutoSchema adds the two that the parser
answers for any request body (413 too large, 415 not JSON).
"""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers

from common.idempotency import HEADER as IDEMPOTENCY_HEADER

NESTED_NAMES = ("Input", "Output", "Filter")

ERROR_DESCRIPTIONS = {
    400: "Invalid input (`fields` names each problem) or a malformed request.",
    401: "Not logged in, or the token is invalid or has expired.",
    403: "Logged in, but not allowed to do this.",
    404: "Not found, or not the caller's.",
    409: "Refused in the current state (full, already done, too late...).",
    413: "The request body is over the size limit.",
    415: "The request body is not JSON.",
    422: "This Idempotency-Key was already used with a different request.",
    429: "Too many requests; try again later.",
    503: "An outside system (WeChat, SMS, a payment channel) did not answer.",
}
# What the parser answers for any request body (common/parsers.py).
BODY_ERRORS = (413, 415)

IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Optional, 1 to 128 ASCII characters. The same key with the same body "
    "answers the first answer again; with another body, 422.",
)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable snake_case code the client switches on."
    )
    message = serializers.CharField(help_text="For people, in the request's language.")
    fields = serializers.DictField(
        help_text="Each invalid input field with its messages; empty otherwise."
    )


class ErrorSerializer(serializers.Serializer):
    """{"error": {"code", "message", "fields"}}: every error, from any source."""

    error = ErrorDetailSerializer()


def error_response(status: int, description: str = "") -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer, description=description or ERROR_DESCRIPTIONS[status]
    )


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of a view: `{**error_responses(400, 404)}`."""
    return {status: error_response(status) for status in statuses}


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        "example": "08:00",
    }
)
class HourMinuteField(serializers.TimeField):
    """A local clock time as "08:00" (OpenAPI's `time` format would need "08:00:00Z")."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)


class AutoSchema(BaseAutoSchema):
    """Name nested Input/Output/Filter serializers after their view; document the body errors.

    Every view declares its own `InputSerializer`, so the default component names
    ("Input", "Output") would collide; `AppointmentBookApi.InputSerializer` becomes
    "AppointmentBookInput".
    """

    def get_serializer_name(self, serializer, direction: str) -> str:
        name = super().get_serializer_name(serializer, direction)
        outer, _, inner = type(serializer).__qualname__.rpartition(".")
        if outer and name.removesuffix("Serializer") in NESTED_NAMES:
            return outer.rpartition(".")[2].removesuffix("Api") + name
        return name

    def _get_response_bodies(self, direction="response") -> dict:
        # Not get_response_serializers: @extend_schema replaces that method outright.
        responses = super()._get_response_bodies(direction)
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer():
            for status in BODY_ERRORS:
                responses.setdefault(
                    str(status),
                    self._get_response_for_code(
                        error_response(status), str(status), direction=direction
                    ),
                )
        return responses
