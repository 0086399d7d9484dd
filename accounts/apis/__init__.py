"""Patient-facing accounts API, by concern: auth (login, tokens, the current user),
profiles (就诊人) and members. This module holds the OpenAPI responses they share.
"""

from drf_spectacular.utils import OpenApiResponse

ERROR = OpenApiResponse(
    description="The error shape: {error: {code, message, fields}}."
)
NO_CONTENT = OpenApiResponse(description="Done, no body.")
