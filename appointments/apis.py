from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsClinicStaff
from accounts.selectors import patient_profile_get_for_user
from appointments import selectors, services
from appointments.models import Appointment
from appointments.notifications import services as notification_services
from common.api import PageQuerySerializer, get_paginated_response, paginated_schema
from common.replica import reads_may_lag
from common.schema import error_responses
from common.services import Actor


class AppointmentOutputSerializer(serializers.Serializer):
    class Named(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()

    id = serializers.IntegerField()
    order_no = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    queue_no = serializers.IntegerField()
    fee = serializers.IntegerField(help_text="fen")
    visit_starts_at = serializers.DateTimeField()
    visit_ends_at = serializers.DateTimeField()
    place = serializers.CharField()
    hold_expires_at = serializers.DateTimeField(allow_null=True)
    hospital = Named()
    doctor = Named()
    department = serializers.CharField(source="doctor.department.name")
    profile = Named()
    cancelled_by = serializers.CharField()
    cancel_reason = serializers.CharField()
    reminders_enabled = serializers.BooleanField()
    # A booking asked to confirm (one tap, AppointmentConfirmApi); the deadline is set
    # only where an unconfirmed booking would give its seat to the waitlist.
    confirm_requested_at = serializers.DateTimeField(allow_null=True)
    confirm_deadline = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class WaitlistOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    session_id = serializers.IntegerField()
    session_date = serializers.DateField(source="session.date")
    period = serializers.CharField(source="session.period")
    doctor_name = serializers.CharField(source="session.doctor.name")
    profile_id = serializers.IntegerField()
    profile_name = serializers.CharField(source="profile.name")
    appointment_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class AppointmentListApi(APIView):
    class FilterSerializer(PageQuerySerializer):
        status = serializers.ChoiceField(
            choices=Appointment.Status.choices, required=False
        )

    @extend_schema(
        operation_id="appointments_list",
        parameters=[FilterSerializer],
        responses={
            200: paginated_schema("AppointmentPage", AppointmentOutputSerializer),
            **error_responses(400, 401, 404),
        },
    )
    # The history list may lag behind the primary; right after the patient's own
    # booking or cancel it reads the primary (common.replica: read-your-writes).
    @reads_may_lag
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.appointment_list_for_user(
            user=request.user, status=filters.validated_data.get("status")
        )
        return get_paginated_response(
            serializer_class=AppointmentOutputSerializer,
            queryset=queryset,
            request=request,
            view=self,
        )


class AppointmentDetailApi(APIView):
    @extend_schema(
        responses={200: AppointmentOutputSerializer, **error_responses(401, 404)}
    )
    def get(self, request: Request, appointment_id: int) -> Response:
        appointment = selectors.appointment_get_for_user(
            user=request.user, appointment_id=appointment_id
        )
        return Response(AppointmentOutputSerializer(appointment).data)


class AppointmentCancelApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=200, required=False, allow_blank=True, default=""
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            200: AppointmentOutputSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = selectors.appointment_get_for_user(
            user=request.user, appointment_id=appointment_id
        )
        appointment = services.appointment_cancel(
            actor=Actor.from_request(request),
            appointment=appointment,
            by=Appointment.CancelledBy.PATIENT,
            reason=serializer.validated_data["reason"],
        )
        return Response(AppointmentOutputSerializer(appointment).data)


class AppointmentRescheduleApi(APIView):
    """Move the booking to another slot (改约) of the same doctor or department.

    Answers the moved booking (the same appointment id) as the detail view does.
    """

    class InputSerializer(serializers.Serializer):
        slot_id = serializers.IntegerField(min_value=1)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: AppointmentOutputSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        # Whose booking first: another user's id answers 404 whatever the body says.
        appointment = selectors.appointment_get_for_user(
            user=request.user, appointment_id=appointment_id
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        slot = selectors.slot_get_for_booking(
            slot_id=serializer.validated_data["slot_id"]
        )
        moved = services.appointment_reschedule(
            actor=Actor.from_request(request),
            user=request.user,
            appointment=appointment,
            slot=slot,
        )
        moved = selectors.appointment_get_for_user(
            user=request.user, appointment_id=moved.pk
        )
        return Response(AppointmentOutputSerializer(moved).data)


class AppointmentConfirmApi(APIView):
    """The patient confirms they will come (the confirm request's one tap). Idempotent."""

    @extend_schema(
        request=None,
        responses={
            200: AppointmentOutputSerializer,
            **error_responses(401, 403, 404, 409),
        },
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        appointment = selectors.appointment_get_for_user(
            user=request.user, appointment_id=appointment_id
        )
        appointment = services.appointment_confirm(
            actor=Actor.from_request(request), appointment=appointment
        )
        return Response(AppointmentOutputSerializer(appointment).data)


class AppointmentCheckInApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: AppointmentOutputSerializer,
            **error_responses(401, 403, 404, 409),
        },
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        appointment = selectors.appointment_get_for_user(
            user=request.user, appointment_id=appointment_id
        )
        appointment = services.appointment_check_in(
            actor=Actor.from_request(request), appointment=appointment, by_staff=False
        )
        return Response(AppointmentOutputSerializer(appointment).data)


class WaitlistJoinApi(APIView):
    class InputSerializer(serializers.Serializer):
        session_id = serializers.IntegerField(min_value=1)
        profile_id = serializers.IntegerField(min_value=1)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: WaitlistOutputSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        profile = patient_profile_get_for_user(
            user=request.user, profile_id=data["profile_id"]
        )
        session = selectors.session_get_for_waitlist(session_id=data["session_id"])
        entry = services.waitlist_join(
            actor=Actor.from_request(request),
            user=request.user,
            profile=profile,
            session=session,
        )
        entry = selectors.waitlist_entry_get_for_user(
            user=request.user, entry_id=entry.pk
        )
        return Response(
            WaitlistOutputSerializer(entry).data, status=status.HTTP_201_CREATED
        )


class WaitlistListApi(APIView):
    @extend_schema(
        parameters=[PageQuerySerializer],
        responses={
            200: paginated_schema("WaitlistPage", WaitlistOutputSerializer),
            **error_responses(400, 401, 404),
        },
    )
    def get(self, request: Request) -> Response:
        return get_paginated_response(
            serializer_class=WaitlistOutputSerializer,
            queryset=selectors.waitlist_list_for_user(user=request.user),
            request=request,
            view=self,
        )


class WaitlistLeaveApi(APIView):
    @extend_schema(
        request=None,
        responses={200: WaitlistOutputSerializer, **error_responses(401, 404, 409)},
    )
    def post(self, request: Request, entry_id: int) -> Response:
        entry = selectors.waitlist_entry_get_for_user(
            user=request.user, entry_id=entry_id
        )
        entry = services.waitlist_leave(actor=Actor.from_request(request), entry=entry)
        return Response(WaitlistOutputSerializer(entry).data)


class StaffDayListApi(APIView):
    """A doctor's appointments on one day, for the clinic desk. Staff see their hospital only."""

    permission_classes = [IsClinicStaff]

    class FilterSerializer(PageQuerySerializer):
        # larger ids cannot exist and overflow the database drivers (a 500, not a 400)
        doctor_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        date = serializers.DateField(required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        order_no = serializers.CharField()
        queue_no = serializers.IntegerField()
        status = serializers.CharField()
        visit_starts_at = serializers.DateTimeField()
        patient_name = serializers.CharField(source="profile.name")
        noshow_risk_band = serializers.CharField(
            help_text='"low", "medium", "high"; "" when not scored.'
        )
        confirmed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={
            200: paginated_schema("DayListPage", OutputSerializer),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        user = request.user
        queryset = selectors.appointment_day_list(
            hospital_id=None if user.is_superuser else user.hospital_id,
            doctor_id=filters.validated_data["doctor_id"],
            date=filters.validated_data.get("date") or timezone.localdate(),
        )
        return get_paginated_response(
            serializer_class=self.OutputSerializer,
            queryset=queryset,
            request=request,
            view=self,
        )


class AppointmentRemindersApi(APIView):
    """Switch the visit reminders of one of the user's appointments on or off."""

    class InputSerializer(serializers.Serializer):
        enabled = serializers.BooleanField()

    @extend_schema(
        request=InputSerializer,
        responses={
            200: AppointmentOutputSerializer,
            **error_responses(400, 401, 404, 409),
        },
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = selectors.appointment_get_for_user(
            user=request.user, appointment_id=appointment_id
        )
        appointment = notification_services.appointment_reminders_set(
            actor=Actor.from_request(request),
            appointment=appointment,
            enabled=serializer.validated_data["enabled"],
        )
        return Response(AppointmentOutputSerializer(appointment).data)
