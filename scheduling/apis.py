"""The patient's view of the schedule: what can be booked. No login needed."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.schema import HourMinuteField, error_response
from scheduling.selectors import (
    doctor_availability,
    doctor_get_bookable,
    session_availability_get,
)


class SlotOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    remaining = serializers.IntegerField()
    queue_start = serializers.IntegerField()


class SessionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    doctor_id = serializers.IntegerField()
    hospital_id = serializers.IntegerField()
    date = serializers.DateField()
    period = serializers.CharField()
    period_display = serializers.CharField()
    start_time = HourMinuteField()
    end_time = HourMinuteField()
    fee = serializers.IntegerField(help_text="Registration fee in fen.")
    place = serializers.CharField()
    remaining = serializers.IntegerField(help_text="Seats left in all shown slots.")
    slots = SlotOutputSerializer(many=True)


class DoctorSessionListApi(APIView):
    """A doctor's bookable sessions in the booking window, with seats left per slot.

    Only released, open sessions; only slots whose booking cutoff has not passed.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        doctor_id = serializers.IntegerField()
        sessions = SessionOutputSerializer(many=True)

    @extend_schema(
        operation_id="doctor_session_list",
        responses={
            200: OutputSerializer,
            404: error_response(404, "Unknown or inactive doctor."),
        },
    )
    def get(self, request: Request, doctor_id: int) -> Response:
        doctor = doctor_get_bookable(doctor_id=doctor_id)
        sessions = doctor_availability(doctor=doctor)
        return Response(
            self.OutputSerializer({"doctor_id": doctor.pk, "sessions": sessions}).data
        )


class SessionDetailApi(APIView):
    """One bookable session with its slots; 404 once it cannot be booked any more."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    OutputSerializer = SessionOutputSerializer

    @extend_schema(
        operation_id="session_detail",
        responses={
            200: SessionOutputSerializer,
            404: error_response(404, "Unknown session, or not bookable."),
        },
    )
    def get(self, request: Request, session_id: int) -> Response:
        session = session_availability_get(session_id=session_id)
        return Response(self.OutputSerializer(session).data)
