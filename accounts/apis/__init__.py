"""Patient-facing accounts API, by concern: auth (login, tokens, the current user),
profiles (就诊人) and members. This module holds the OpenAPI responses they share; the
error answers come from common.schema.error_responses.
"""

from drf_spectacular.utils import OpenApiResponse

from common.schema import ErrorSerializer

# One error answer named by hand; prefer common.schema.error_responses(400, 401, ...).
ERROR = OpenApiResponse(
    ErrorSerializer, description="The error shape: {error: {code, message, fields}}."
)
NO_CONTENT = OpenApiResponse(description="Done, no body.")
