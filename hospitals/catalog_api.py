"""Public views that serve an anonymous GET from their cache before DRF is entered.

An `AnonymousCachedApi` view names, in `cached_for_anonymous`, the cached bytes of the
answer an anonymous GET would get (None when not cached). Such a request is then
answered before DRF: no request wrapping, content negotiation, authentication,
permission check or serializer, only the cache. The answer is the one DRF would give:
without the Authorization header there is no token to check (the views authenticate with
accounts.auth's JWT classes only, which read nothing else), the permission is AllowAny,
nothing throttles, and for no Accept header, */* or application/json DRF picks the first
renderer, JSON, whose bytes are the cached ones (any other Accept header is negotiated by
DRF's own code first); the same headers are set. Anything else (a token, HEAD, OPTIONS,
an Accept that DRF answers otherwise, ?format=, a miss) goes through DRF, which answers
from the same cache. `as_view` refuses a subclass whose policies break this.

`CatalogApi` is the hospital catalog's: one answer for every caller, cached under the
catalog version (hospitals.cache), keyed by the language and the full URL.
"""

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.auth import JWTAuthentication, request_has_token
from common.renderers import JSONRenderer
from common.replica import reads_may_lag, replica_cache_seconds
from hospitals.cache import catalog_answer, catalog_lookup

# Accept headers for which DRF's default negotiation picks the first renderer with its
# own media type (no header at all is taken as */*); others are negotiated by DRF's code.
_FIRST_RENDERER_ACCEPTS = frozenset({"*/*", "application/json"})


def catalog_key(prefix: str, request: HttpRequest) -> str:
    # The full URL, as Django's cache_page keys it: the pagination links in the answer
    # repeat the URL, so two URLs must not share an answer. Names of levels and titles
    # are translated, hence the language.
    raw = f"{get_language()}|{request.build_absolute_uri()}"
    return f"{prefix}:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"


class AnonymousCachedApi(APIView):
    permission_classes = [AllowAny]

    @classmethod
    def cached_for_anonymous(cls, request: HttpRequest, **kwargs: Any) -> bytes | None:
        """The cached bytes of this view's answer to an anonymous GET of `request`
        (URL arguments in `kwargs`), exactly as the view would render it; None to let
        DRF answer (not cached, or a refusal to render)."""
        raise NotImplementedError

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        cls._check_anonymous_answer_is_drfs()
        instance = cls(**initkwargs)
        instance.setup(HttpRequest())  # as a request would: GET brings HEAD
        headers = instance.default_response_headers
        vary = headers.pop("Vary", None)
        format_param = f"{api_settings.URL_FORMAT_OVERRIDE}="

        @functools.wraps(view)
        def cached_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if (
                request.method == "GET"
                and not request_has_token(request)
                and format_param not in request.META.get("QUERY_STRING", "")
                and not args
                and "format" not in kwargs
                and cls._negotiates_json(request)
            ):
                content = cls.cached_for_anonymous(request, **kwargs)
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

        return cached_view

    @classmethod
    def _negotiates_json(cls, request: HttpRequest) -> bool:
        """Whether DRF would answer `request` with the JSON renderer, as it is."""
        negotiation = cls.content_negotiation_class
        accept = request.META.get("HTTP_ACCEPT")
        if negotiation is DefaultContentNegotiation and (
            accept is None or accept in _FIRST_RENDERER_ACCEPTS
        ):
            return True
        try:
            renderer, media_type = negotiation().select_renderer(
                Request(request), [renderer() for renderer in cls.renderer_classes]
            )
        except NotAcceptable:
            return False
        return (
            isinstance(renderer, JSONRenderer) and media_type == JSONRenderer.media_type
        )

    @classmethod
    def _check_anonymous_answer_is_drfs(cls) -> None:
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


class CatalogApi(AnonymousCachedApi):
    """A view whose answer is the same for every caller who may see it."""

    cache_prefix = "hospitals:catalog"

    def cached_answer(
        self, build: Callable[[], Any], *, seconds: int | None = None
    ) -> Response:
        key = catalog_key(self.cache_prefix, self.request)
        # The catalog tolerates lag: a miss is built from the read replica when there is
        # one, and then kept only REPLICA_CACHE_SECONDS (a write the replica had not yet
        # applied would otherwise stay in the cache until the next write).
        return Response(
            catalog_answer(
                key, reads_may_lag(build), seconds=replica_cache_seconds(seconds)
            )
        )

    @classmethod
    def cached_for_anonymous(cls, request: HttpRequest, **kwargs: Any) -> bytes | None:
        content, _version = catalog_lookup(catalog_key(cls.cache_prefix, request))
        return content
