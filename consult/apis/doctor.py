"""A doctor's consult settings: the offer and the quick replies (IsDoctor; their own)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsDoctor
from common.errors import NotFound
from common.schema import error_responses
from common.services import Actor
from consult import selectors
from consult.apis.serializers import (
    OfferSerializer,
    PublicOfferSerializer,
    QuickReplySerializer,
)
from consult.models import ConsultOffer
from consult.services.offers import (
    consult_offer_set,
    quick_reply_create,
    quick_reply_delete,
    quick_reply_update,
)
from hospitals.errors import ErrorCode as DoctorErrorCode


class DoctorApi(APIView):
    permission_classes = [IsAuthenticated, IsDoctor]


class OfferApi(DoctorApi):
    """My consult offer: on or off, fee (fen), daily cap, reply deadline (hours)."""

    @extend_schema(
        responses={200: OfferSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request) -> Response:
        doctor = selectors.doctor_of(request.user)
        offer = ConsultOffer.objects.filter(doctor=doctor).first() or ConsultOffer(
            doctor=doctor
        )
        return Response(OfferSerializer(offer).data)

    @extend_schema(
        request=OfferSerializer,
        responses={200: OfferSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        serializer = OfferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = consult_offer_set(
            actor=Actor.from_request(request),
            doctor=selectors.doctor_of(request.user),
            **serializer.validated_data,
        )
        return Response(OfferSerializer(offer).data)


class PublicOfferApi(APIView):
    """A doctor's consult terms, for the patient choosing: 404 if they take none."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: PublicOfferSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, doctor_id: int) -> Response:
        offer = ConsultOffer.objects.filter(
            doctor_id=doctor_id, enabled=True, doctor__is_active=True
        ).first()
        if offer is None:
            raise NotFound(DoctorErrorCode.DOCTOR_NOT_FOUND, _("Doctor not found."))
        return Response(PublicOfferSerializer(offer).data)


class QuickReplyListApi(DoctorApi):
    @extend_schema(
        responses={
            200: QuickReplySerializer(many=True),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request: Request) -> Response:
        replies = selectors.quick_replies_of(selectors.doctor_of(request.user))
        return Response(QuickReplySerializer(replies, many=True).data)


class QuickReplyCreateApi(DoctorApi):
    @extend_schema(
        request=QuickReplySerializer,
        responses={
            201: QuickReplySerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = QuickReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = quick_reply_create(
            doctor=selectors.doctor_of(request.user),
            text=serializer.validated_data["text"],
        )
        return Response(
            QuickReplySerializer(reply).data, status=status.HTTP_201_CREATED
        )


class QuickReplyUpdateApi(DoctorApi):
    @extend_schema(
        request=QuickReplySerializer,
        responses={200: QuickReplySerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, reply_id: int) -> Response:
        reply = selectors.quick_reply_get(
            doctor=selectors.doctor_of(request.user), reply_id=reply_id
        )
        serializer = QuickReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = quick_reply_update(reply=reply, text=serializer.validated_data["text"])
        return Response(QuickReplySerializer(reply).data)


class QuickReplyDeleteApi(DoctorApi):
    @extend_schema(
        request=None,
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def post(self, request: Request, reply_id: int) -> Response:
        reply = selectors.quick_reply_get(
            doctor=selectors.doctor_of(request.user), reply_id=reply_id
        )
        quick_reply_delete(reply=reply)
        return Response(status=status.HTTP_204_NO_CONTENT)
