"""The check-in code: the patient's app fetches it (shown as a QR code), the desk scans it."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsClinicStaff
from appointments import selectors, services
from appointments.apis import AppointmentOutputSerializer
from appointments.checkin_code import checkin_code_issue
from appointments.errors import ErrorCode
from appointments.models import Appointment
from common.errors import Conflict
from common.schema import error_responses
from common.services import Actor


class AppointmentCheckInCodeApi(APIView):
    """The check-in code of one of the user's appointments: the token and its QR code."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CheckInCode"

        code = serializers.CharField(source="token")
        valid_from = serializers.DateTimeField()
        expires_at = serializers.DateTimeField()
        png_base64 = serializers.CharField(
            help_text="The QR code of `code` as a PNG image, base64 (show it as "
            "data:image/png;base64,…)."
        )

    @extend_schema(
        operation_id="appointments_check_in_code",
        responses={200: OutputSerializer, **error_responses(401, 404, 409)},
        description="A signed token naming the appointment, accepted by the desk "
        "from the hospital's check-in window (minutes before the slot) until the slot "
        "ends, and at most 24 hours after it was made. Only for a paid booking not yet "
        "checked in (or skipped at the call): otherwise 409 not_checkable.",
    )
    def get(self, request: Request, appointment_id: int) -> Response:
        appointment = selectors.appointment_get_for_user(
            user=request.user, appointment_id=appointment_id
        )
        if appointment.status not in (
            Appointment.Status.BOOKED,
            Appointment.Status.SKIPPED,
        ):
            raise Conflict(
                ErrorCode.NOT_CHECKABLE,
                _("Only a paid, upcoming booking can be checked in."),
            )
        code = checkin_code_issue(appointment=appointment)
        return Response(self.OutputSerializer(code).data)


class AppointmentCheckInScanApi(APIView):
    """The desk (or a kiosk signed in as hospital staff) scanned a patient's code."""

    permission_classes = [IsClinicStaff]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CheckInScanInput"

        code = serializers.CharField(max_length=512)

    @extend_schema(
        operation_id="appointments_check_in_scan",
        request=InputSerializer,
        responses={
            200: AppointmentOutputSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
        description="Checks the patient in. A forged or altered code: 400 "
        "checkin_code_invalid; outside the check-in window: 400 "
        "checkin_code_not_yet_valid or checkin_code_expired; another hospital's "
        "appointment (for a doctor, another doctor's): 404; a booking that cannot be "
        "checked in: 409.",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        appointment = services.appointment_check_in_by_code(
            actor=Actor.from_request(request),
            staff=request.user,
            token=serializer.validated_data["code"],
        )

        appointment = selectors.appointment_get_for_clinic_user(
            user=request.user, appointment_id=appointment.pk
        )
        return Response(AppointmentOutputSerializer(appointment).data)
