"""The one JSON error shape, pagination and request helpers shared by every API."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler, set_rollback

from common.errors import DomainError, ErrorCode
from common.parsers import RequestTooLarge


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        set_rollback()  # what DRF's own handler does for errors it renders
        return Response(
            error_body(exc.code, exc.message, exc.fields), status=exc.status_code
        )
    if isinstance(exc, DjangoValidationError):  # from full_clean() in services
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # Django's own check, on request.body
        exc = RequestTooLarge()

    response = exception_handler(exc, context)
    if response is None:
        return None  # a bug, not a client error: Django answers 500 and logs it
    if isinstance(exc, exceptions.ValidationError):
        fields = (
            exc.detail
            if isinstance(exc.detail, dict)
            else {"non_field_errors": exc.detail}
        )
        response.data = error_body("invalid", _("Invalid input."), fields)
    elif isinstance(exc, exceptions.ParseError):
        response.data = error_body(ErrorCode.MALFORMED_REQUEST, str(exc.detail))
    else:
        response.data = error_body(exc.default_code, str(exc.detail))
    return response


# Paths that only ever answer JSON, whatever the client accepts.
JSON_ONLY_PREFIXES = ("/api/", "/health/")


def wants_html(request: HttpRequest) -> bool:
    """A person's browser on one of the pages (portal, workspace, admin, screens): the
    API and the health check answer JSON to everyone."""
    if request.path.startswith(JSON_ONLY_PREFIXES):
        return False
    return "text/html" in request.headers.get("Accept", "")


def not_found_view(
    request: HttpRequest, exception: Exception | None = None
) -> HttpResponse:
    if wants_html(request):
        return render(request, "404.html", status=404)
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def bad_request_view(
    request: HttpRequest, exception: Exception | None = None
) -> JsonResponse:
    """Django's own 400s (a request body over the limit, a Host not allowed...)."""
    return JsonResponse(
        error_body(ErrorCode.MALFORMED_REQUEST, _("Bad request.")), status=400
    )


def server_error_view(request: HttpRequest) -> HttpResponse:
    if wants_html(request):
        # No context processors or database reads: the error may be the database's.
        return HttpResponse(loader.get_template("500.html").render(), status=500)
    return JsonResponse(
        error_body("server_error", _("Server error, please try again later.")),
        status=500,
    )


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class PageQuerySerializer(serializers.Serializer):
    """`page` and `page_size` of every paginated list: in its API docs (a view's filter
    serializer subclasses this one, or its schema names it) and checked, since the paginator
    ignores a malformed page size; we refuse it instead (400 in the error shape)."""

    page = serializers.IntegerField(required=False, min_value=1, max_value=100_000)
    # Larger sizes are valid and capped by Pagination.max_page_size.
    page_size = serializers.IntegerField(required=False, min_value=1)


def get_paginated_response(*, serializer_class, queryset, request, view) -> Response:
    """Paginate a queryset for an APIView (which does not paginate by itself)."""
    PageQuerySerializer(data=request.query_params).is_valid(raise_exception=True)
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def paginated_schema(name: str, serializer_class: type) -> serializers.Serializer:
    """The schema of get_paginated_response's answer, for the API docs."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


def client_ip(request: HttpRequest) -> str | None:
    from django.conf import settings

    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45] or None
    return request.META.get("REMOTE_ADDR") or None


class EmptySerializer(serializers.Serializer):
    pass
