"""The consult API for both parties: a patient's own consults, a doctor's addressed ones.

Every id outside consult.selectors' rules answers 404."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import PatientProfile
from accounts.permissions import IsPatient
from common.api import PageQuerySerializer, get_paginated_response, paginated_schema
from common.errors import NotAllowed, NotFound
from common.schema import error_responses
from common.services import Actor
from consult import selectors
from consult.apis.serializers import (
    ConsultCreateInputSerializer,
    ConsultOutputSerializer,
    MessageInputSerializer,
    MessageOutputSerializer,
    MessagePageQuerySerializer,
    MessagePageSerializer,
    RateInputSerializer,
)
from consult.errors import ErrorCode
from consult.models import Consult, ConsultMessage
from consult.services.consults import consult_close, consult_create, consult_rate
from consult.services.messages import message_recall, message_send
from hospitals.errors import ErrorCode as DoctorErrorCode
from hospitals.models import Doctor


class ConsultListApi(APIView):
    """My consults: a patient's own, a doctor's addressed to them; newest first."""

    permission_classes = [IsAuthenticated]

    class FilterSerializer(PageQuerySerializer):
        status = serializers.MultipleChoiceField(
            choices=Consult.Status.choices,
            required=False,
            help_text="Only consults in these statuses (repeat the parameter for more).",
        )

    @extend_schema(
        parameters=[FilterSerializer],
        operation_id="consult_list",
        responses={
            200: paginated_schema("ConsultPage", ConsultOutputSerializer),
            **error_responses(400, 401, 404),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.consults_of(request.user)
        if statuses := filters.validated_data.get("status"):
            queryset = queryset.filter(status__in=statuses)
        return get_paginated_response(
            serializer_class=ConsultOutputSerializer,
            queryset=queryset,
            request=request,
            view=self,
        )


class ConsultCreateApi(APIView):
    """Ask a doctor: one of my profiles and the problem. A free consult waits for the
    doctor at once; a paid one awaits payment."""

    permission_classes = [IsAuthenticated, IsPatient]

    @extend_schema(
        request=ConsultCreateInputSerializer,
        responses={
            201: ConsultOutputSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ConsultCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        profile = PatientProfile.objects.filter(
            pk=data["profile"], user=request.user
        ).first()
        if profile is None:
            raise NotFound(
                ErrorCode.CONSULT_PROFILE_NOT_FOUND, _("Patient profile not found.")
            )
        doctor = Doctor.objects.filter(pk=data["doctor"], is_active=True).first()
        if doctor is None:
            raise NotFound(DoctorErrorCode.DOCTOR_NOT_FOUND, _("Doctor not found."))
        consult = consult_create(
            actor=Actor.from_request(request),
            user=request.user,
            doctor=doctor,
            profile=profile,
            problem=data["problem"],
        )
        return Response(
            ConsultOutputSerializer(consult).data, status=status.HTTP_201_CREATED
        )


class ConsultDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: ConsultOutputSerializer, **error_responses(401, 404)}
    )
    def get(self, request: Request, consult_id: int) -> Response:
        consult = selectors.consult_get_for_party(
            user=request.user, consult_id=consult_id
        )
        return Response(ConsultOutputSerializer(consult).data)


class ConsultMessageListApi(APIView):
    """The consult's messages in order, after the cursor `after`, `limit` at a time."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[MessagePageQuerySerializer],
        responses={200: MessagePageSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request: Request, consult_id: int) -> Response:
        query = MessagePageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        consult = selectors.consult_get_for_party(
            user=request.user, consult_id=consult_id
        )
        after = query.validated_data.get("after")
        messages = selectors.messages_after(
            consult=consult, after=after, limit=query.validated_data["limit"]
        )
        return Response(
            {
                "results": MessageOutputSerializer(messages, many=True).data,
                "next_cursor": messages[-1].pk if messages else after,
            }
        )


class ConsultMessageSendApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=MessageInputSerializer,
        responses={
            201: MessageOutputSerializer,
            **error_responses(400, 401, 404, 409),
        },
    )
    def post(self, request: Request, consult_id: int) -> Response:
        consult = selectors.consult_get_for_party(
            user=request.user, consult_id=consult_id
        )
        serializer = MessageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = message_send(
            actor=Actor.from_request(request),
            consult=consult,
            sender=selectors.party_of(user=request.user, consult=consult),
            user=request.user,
            text=serializer.validated_data["text"],
        )
        return Response(
            MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED
        )


class MessageRecallApi(APIView):
    """The sender takes back their message within 2 minutes."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: MessageOutputSerializer, **error_responses(401, 404, 409)},
    )
    def post(self, request: Request, message_id: int) -> Response:
        message = selectors.message_get_for_sender(
            user=request.user, message_id=message_id
        )
        message = message_recall(actor=Actor.from_request(request), message=message)
        return Response(MessageOutputSerializer(message).data)


class ConsultCloseApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={200: ConsultOutputSerializer, **error_responses(401, 404, 409)},
    )
    def post(self, request: Request, consult_id: int) -> Response:
        consult = selectors.consult_get_for_party(
            user=request.user, consult_id=consult_id
        )
        consult = consult_close(
            actor=Actor.from_request(request),
            consult=consult,
            by=selectors.party_of(user=request.user, consult=consult),
        )
        return Response(ConsultOutputSerializer(consult).data)


class ConsultRateApi(APIView):
    """The patient rates a closed consult once: 1 to 5 stars and a comment."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=RateInputSerializer,
        responses={
            200: ConsultOutputSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request, consult_id: int) -> Response:
        consult = selectors.consult_get_for_party(
            user=request.user, consult_id=consult_id
        )
        if selectors.party_of(user=request.user, consult=consult) != (
            ConsultMessage.Sender.PATIENT
        ):
            raise NotAllowed(
                "permission_denied", _("Only the patient rates a consult.")
            )
        serializer = RateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consult = consult_rate(
            actor=Actor.from_request(request),
            consult=consult,
            stars=serializer.validated_data["stars"],
            comment=serializer.validated_data.get("comment", ""),
        )
        return Response(ConsultOutputSerializer(consult).data)
