"""Patient-facing accounts API, by concern: auth (login, tokens, the current user),
profiles (就诊人) and members. This module holds the OpenAPI responses they share; the
error answers come from common.schema.error_responses.
"""

from drf_spectacular.utils import OpenApiResponse

NO_CONTENT = OpenApiResponse(description="Done, no body.")
