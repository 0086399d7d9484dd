"""Consult images: the patient's problem images, image messages, and the signed links
that serve them (consult.image_files).

Uploads are multipart with one field, `image`; the file is received into memory only, at
most one byte over CONSULT_IMAGE_MAX_BYTES (common.uploads), and its content decides
everything (consult.images). Uploads are throttled per user (CONSULT_IMAGE_UPLOAD_RATE).
"""

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from common.errors import DomainError, NotFound
from common.schema import error_responses
from common.services import Actor
from common.uploads import CappedMemoryUploadHandler
from consult import selectors
from consult.apis.serializers import MessageOutputSerializer, ProblemImageSerializer
from consult.errors import ErrorCode
from consult.image_files import image_content, image_id_from_token
from consult.services.images import (
    message_image_send,
    problem_image_add,
    problem_image_uploader_check,
)


class ImageUploadThrottle(UserRateThrottle):
    """Image uploads per user (both kinds together), at CONSULT_IMAGE_UPLOAD_RATE."""

    scope = "consult_image_upload"

    def get_rate(self) -> str:
        return settings.CONSULT_IMAGE_UPLOAD_RATE


class ImageUploadInputSerializer(serializers.Serializer):
    """For the schema: the view reads the file itself, so that a missing or empty file
    gets its own error code."""

    image = serializers.FileField(help_text="A JPEG, PNG or WebP image.")


def _uploaded_image(request: Request) -> bytes:
    """The `image` file's bytes (at most one over the cap: the service refuses it then)."""
    upload = request.FILES.get("image")
    if upload is None:
        message = _("Choose an image to upload.")
        raise DomainError(
            ErrorCode.CONSULT_IMAGE_MISSING, message, fields={"image": [message]}
        )
    return upload.read(settings.CONSULT_IMAGE_MAX_BYTES + 1)


class ImageUploadApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]
    throttle_classes = [ImageUploadThrottle]

    def initial(self, request: Request, *args, **kwargs) -> None:
        # Before the body is parsed: files are kept in memory only, capped.
        request._request.upload_handlers = [
            CappedMemoryUploadHandler(
                request._request, max_bytes=settings.CONSULT_IMAGE_MAX_BYTES
            )
        ]
        super().initial(request, *args, **kwargs)


class ProblemImageAddApi(ImageUploadApi):
    """The patient adds an image of the problem (at most 9 per consult, until it ends)."""

    @extend_schema(
        request={"multipart/form-data": ImageUploadInputSerializer},
        responses={
            201: ProblemImageSerializer,
            **error_responses(400, 401, 403, 404, 409, 415, 429),
        },
    )
    def post(self, request: Request, consult_id: int) -> Response:
        consult = selectors.consult_get_for_party(
            user=request.user, consult_id=consult_id
        )
        problem_image_uploader_check(consult=consult, user=request.user)
        image = problem_image_add(
            actor=Actor.from_request(request),
            consult=consult,
            user=request.user,
            content=_uploaded_image(request),
        )
        return Response(
            ProblemImageSerializer(image).data, status=status.HTTP_201_CREATED
        )


class MessageImageSendApi(ImageUploadApi):
    """Either party sends an image as a message (while the consult is open)."""

    @extend_schema(
        request={"multipart/form-data": ImageUploadInputSerializer},
        responses={
            201: MessageOutputSerializer,
            **error_responses(400, 401, 404, 409, 415, 429),
        },
    )
    def post(self, request: Request, consult_id: int) -> Response:
        consult = selectors.consult_get_for_party(
            user=request.user, consult_id=consult_id
        )
        message = message_image_send(
            actor=Actor.from_request(request),
            consult=consult,
            sender=selectors.party_of(user=request.user, consult=consult),
            user=request.user,
            content=_uploaded_image(request),
        )
        return Response(
            MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED
        )


class _JsonErrorsOnly(BaseContentNegotiation):
    """The image answers with its own bytes; an error is JSON whatever the client's
    Accept header says (an <img> asks for image/*), never a 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ImageServeApi(APIView):
    """An image behind a signed link from the API (valid for an hour). No header needed,
    so the link works as an image's src. A bad, altered or expired link answers 404."""

    authentication_classes = []
    permission_classes = [AllowAny]
    content_negotiation_class = _JsonErrorsOnly

    @extend_schema(
        auth=[],
        responses={
            **{
                (200, content_type): OpenApiResponse(
                    OpenApiTypes.BINARY, description="The image."
                )
                for content_type in ("image/jpeg", "image/png")
            },
            **error_responses(404),
        },
    )
    def get(self, request: Request, token: str) -> HttpResponse:
        image_id = image_id_from_token(token)
        if image_id is None:
            raise NotFound(ErrorCode.CONSULT_IMAGE_NOT_FOUND, _("Image not found."))
        image = selectors.image_get_by_link(image_id)
        response = HttpResponse(image_content(image), content_type=image.content_type)
        # The link lives an hour: the browser may keep it that long, no shared cache may.
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Disposition"] = "inline"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
