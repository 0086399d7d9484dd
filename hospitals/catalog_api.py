"""The base of the public catalog's views: one answer for every caller, cached as JSON.

A CatalogApi view builds its answer in `cached_answer` (hospitals.cache.catalog_answer,
keyed by the language and the full URL). An anonymous GET is then served from the cache
before DRF is entered: no request wrapping, content negotiation, authentication or
permission check, only the key and one cache round trip. The answer is the one DRF would
give: without the Authorization header there is no token to check (the views
authenticate with accounts.auth's JWT classes only), the permission is AllowAny, nothing
throttles, and for no Accept header, */* or application/json DRF picks the first
renderer, JSON, whose bytes are the cached ones; the same headers are set. Anything else
(a token, HEAD, OPTIONS, another Accept, ?format=, a miss) goes through DRF, which
answers from the same cache. `as_view` refuses a subclass whose policies break this.
"""

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.auth import JWTAuthentication, request_has_token
from common.renderers import JSONRenderer
from hospitals.cache import catalog_answer, catalog_lookup

# The Accept headers for which DRF's negotiation picks the first renderer as it is.
_FIRST_RENDERER_ACCEPTS = frozenset({"", "*/*", "application/json"})


def catalog_key(prefix: str, request: HttpRequest) -> str:
    # The full URL, as Django's cache_page keys it: the pagination links in the answer
    # repeat the URL, so two URLs must not share an answer. Names of levels and titles
    # are translated, hence the language.
    raw = f"{get_language()}|{request.build_absolute_uri()}"
    return f"{prefix}:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"


class CatalogApi(APIView):
    """A view whose answer is the same for every caller who may see it."""

    permission_classes = [AllowAny]
    cache_prefix = "hospitals:catalog"

    def cached_answer(
        self, build: Callable[[], Any], *, seconds: int | None = None
    ) -> Response:
        key = catalog_key(self.cache_prefix, self.request)
        return Response(catalog_answer(key, build, seconds=seconds))

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        cls._check_same_answer_for_anyone()
        instance = cls(**initkwargs)
        instance.setup(HttpRequest())  # as a request would: GET brings HEAD
        headers = instance.default_response_headers
        vary = headers.pop("Vary", None)
        format_param = f"{api_settings.URL_FORMAT_OVERRIDE}="

        @functools.wraps(view)
        def catalog_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if (
                request.method == "GET"
                and not request_has_token(request)
                and request.META.get("HTTP_ACCEPT", "") in _FIRST_RENDERER_ACCEPTS
                and format_param not in request.META.get("QUERY_STRING", "")
            ):
                content, _version = catalog_lookup(
                    catalog_key(cls.cache_prefix, request)
                )
                if content is not None:
                    response = HttpResponse(
                        content, content_type=JSONRenderer.media_type
                    )
                    if vary is not None:
                        patch_vary_headers(response, [vary])
                    for name, value in headers.items():
                        response[name] = value
                    return response
            return view(request, *args, **kwargs)

        return catalog_view

    @classmethod
    def _check_same_answer_for_anyone(cls) -> None:
        problems = []
        if not issubclass(cls.renderer_classes[0], JSONRenderer):
            problems.append("the first renderer is not common.renderers.JSONRenderer")
        if not all(
            issubclass(c, JWTAuthentication) for c in cls.authentication_classes
        ):
            problems.append("an authentication reads more than the token header")
        if list(cls.permission_classes) != [AllowAny]:
            problems.append("the permission is not AllowAny")
        if cls.throttle_classes:
            problems.append("requests are throttled")
        if cls.versioning_class is not None:
            problems.append("the API is versioned")
        if problems:
            raise ImproperlyConfigured(
                f"{cls.__name__} cannot serve its cache before DRF: {'; '.join(problems)}"
            )
