"""The patient's rebooking offers after a stop (停诊): list, accept, decline (one tap each)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.apis import AppointmentOutputSerializer
from appointments.rebooking_offer_selectors import (
    rebooking_offer_get_for_user,
    rebooking_offer_list_for_user,
)
from appointments.services.rebooking_offers import (
    rebooking_offer_accept,
    rebooking_offer_decline,
)
from common.schema import error_responses
from common.services import Actor


class RebookingOfferOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    stopped_appointment_id = serializers.IntegerField(source="appointment_id")
    patient = serializers.CharField(source="appointment.profile.name")
    doctor = serializers.CharField(source="slot.session.doctor.name")
    department = serializers.CharField(source="slot.session.doctor.department.name")
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    place = serializers.CharField(source="slot.session.place")
    fee_waived = serializers.BooleanField()
    expires_at = serializers.DateTimeField()
    new_appointment_id = serializers.IntegerField(allow_null=True)


class RebookingOfferListApi(APIView):
    @extend_schema(
        responses={
            200: RebookingOfferOutputSerializer(many=True),
            **error_responses(401),
        }
    )
    def get(self, request: Request) -> Response:
        offers = rebooking_offer_list_for_user(user=request.user)[:50]
        return Response(RebookingOfferOutputSerializer(offers, many=True).data)


class RebookingOfferAcceptApi(APIView):
    """Accept: the held seat becomes the patient's booking (answered as the detail view)."""

    @extend_schema(
        request=None,
        responses={
            200: AppointmentOutputSerializer,
            **error_responses(401, 403, 404, 409),
        },
    )
    def post(self, request: Request, offer_id: int) -> Response:
        offer = rebooking_offer_get_for_user(user=request.user, offer_id=offer_id)
        appointment = rebooking_offer_accept(
            actor=Actor.from_request(request), offer=offer
        )
        return Response(AppointmentOutputSerializer(appointment).data)


class RebookingOfferDeclineApi(APIView):
    """Decline: the seat returns at once."""

    @extend_schema(
        request=None,
        responses={
            200: RebookingOfferOutputSerializer,
            **error_responses(401, 404, 409),
        },
    )
    def post(self, request: Request, offer_id: int) -> Response:
        offer = rebooking_offer_get_for_user(user=request.user, offer_id=offer_id)
        rebooking_offer_decline(actor=Actor.from_request(request), offer=offer)
        offer = rebooking_offer_get_for_user(user=request.user, offer_id=offer_id)
        return Response(RebookingOfferOutputSerializer(offer).data)
