"""The doctor's workspace: my sessions, a session's queue, calling, 加号, stop requests.

Doctors see and act on their own sessions only, hospital staff on their hospital's,
platform admins on all; any other session or appointment id answers 404.
"""

import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsClinicStaff, IsDoctor
from accounts.selectors import patient_profile_get_for_desk
from appointments import selectors
from appointments.models import SessionStopRequest
from appointments.services import queue as queue_services
from appointments.services.stop_requests import stop_request_create
from appointments.services.walk_in import walk_in_book
from appointments.workspace import session_queue, workspace_sessions
from common.schema import error_responses
from common.services import Actor

ERRORS = error_responses(400, 401, 403, 404, 409)


class WorkspaceSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    period = serializers.CharField()
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()
    status = serializers.CharField()
    place = serializers.CharField()
    doctor_id = serializers.IntegerField()
    doctor_name = serializers.CharField(source="doctor.name")
    department = serializers.CharField(source="doctor.department.name")
    seats_left = serializers.IntegerField()
    waitlist_count = serializers.IntegerField()
    waiting_count = serializers.IntegerField(help_text="Checked in and not called yet.")


class QueueEntrySerializer(serializers.Serializer):
    appointment_id = serializers.IntegerField()
    queue_no = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    is_checked_in = serializers.BooleanField()
    checked_in_at = serializers.DateTimeField(allow_null=True)
    waiting_minutes = serializers.IntegerField(
        allow_null=True,
        help_text="Minutes since check-in for those waiting; until the first call for "
        "those called or seen.",
    )
    call_count = serializers.IntegerField()
    last_called_at = serializers.DateTimeField(allow_null=True)
    patient_name = serializers.CharField(help_text="Masked: 张*伟.")
    walk_in = serializers.BooleanField()
    called_first = serializers.BooleanField(
        help_text="Called before others: a member's privilege at this hospital."
    )
    noshow_risk_band = serializers.CharField(
        help_text='The no-show model\'s band: "low", "medium", "high"; "" when not scored.'
    )
    noshow_risk_band_display = serializers.CharField()
    confirmed = serializers.BooleanField(
        help_text="The patient confirmed they will come (asked when the risk is high)."
    )


class SessionQueueSerializer(serializers.Serializer):
    session = WorkspaceSessionSerializer()
    queue = QueueEntrySerializer(many=True)


def _queue_response(request: Request, session_id: int, code=status.HTTP_200_OK):
    session = (
        workspace_sessions(
            user=request.user, date_from=datetime.date.min, date_to=datetime.date.max
        )
        .filter(pk=session_id)
        .first()
    )
    data = {"session": session, "queue": session_queue(session=session)}
    return Response(SessionQueueSerializer(data).data, status=code)


class WorkspaceSessionListApi(APIView):
    permission_classes = [IsClinicStaff]

    class FilterSerializer(serializers.Serializer):
        class Meta:
            ref_name = "WorkspaceSessionFilter"

        range = serializers.ChoiceField(
            choices=["today", "week"], required=False, default="today"
        )

    @extend_schema(
        operation_id="appointments_workspace_sessions",
        parameters=[FilterSerializer],
        responses={200: WorkspaceSessionSerializer(many=True), **ERRORS},
        description="Today's sessions, or this week's (Monday to Sunday, local time): "
        "a doctor's own, or every session of a staff member's hospital.",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        today = timezone.localdate()
        if filters.validated_data["range"] == "week":
            start = today - datetime.timedelta(days=today.weekday())
            end = start + datetime.timedelta(days=6)
        else:
            start = end = today
        sessions = workspace_sessions(user=request.user, date_from=start, date_to=end)
        return Response(WorkspaceSessionSerializer(sessions, many=True).data)


class WorkspaceSessionQueueApi(APIView):
    permission_classes = [IsClinicStaff]

    @extend_schema(
        operation_id="appointments_workspace_queue",
        responses={200: SessionQueueSerializer, **ERRORS},
        description="The session's patients in floor order: being called, waiting (in "
        "call order), skipped, not arrived, seen.",
    )
    def get(self, request: Request, session_id: int) -> Response:
        selectors.session_get_for_clinic_user(user=request.user, session_id=session_id)
        return _queue_response(request, session_id)


class WorkspaceCallNextApi(APIView):
    permission_classes = [IsClinicStaff]

    @extend_schema(
        operation_id="appointments_workspace_call_next",
        request=None,
        responses={200: SessionQueueSerializer, **ERRORS},
        description="Call the first waiting patient (409 queue_empty when nobody "
        "waits). Two desks calling at once never call the same patient.",
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = selectors.session_get_for_clinic_user(
            user=request.user, session_id=session_id
        )
        queue_services.queue_call_next(
            actor=Actor.from_request(request), session=session
        )
        return _queue_response(request, session_id)


class _AppointmentActionApi(APIView):
    permission_classes = [IsClinicStaff]
    action = staticmethod(queue_services.queue_recall)

    def post(self, request: Request, appointment_id: int) -> Response:
        appointment = selectors.appointment_get_for_clinic_user(
            user=request.user, appointment_id=appointment_id
        )
        self.action(actor=Actor.from_request(request), appointment=appointment)
        return _queue_response(request, appointment.session_id)


class WorkspaceRecallApi(_AppointmentActionApi):
    action = staticmethod(queue_services.queue_recall)

    @extend_schema(
        operation_id="appointments_workspace_recall",
        request=None,
        responses={200: SessionQueueSerializer, **ERRORS},
        description="Call a called patient again, or a skipped one back (409 "
        "not_called otherwise).",
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        return super().post(request, appointment_id)


class WorkspaceSkipApi(_AppointmentActionApi):
    action = staticmethod(queue_services.queue_skip)

    @extend_schema(
        operation_id="appointments_workspace_skip",
        request=None,
        responses={200: SessionQueueSerializer, **ERRORS},
        description="The called patient is not there (过号). They may check in again "
        "or be called back.",
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        return super().post(request, appointment_id)


class WorkspaceSeenApi(_AppointmentActionApi):
    action = staticmethod(queue_services.queue_mark_seen)

    @extend_schema(
        operation_id="appointments_workspace_seen",
        request=None,
        responses={200: SessionQueueSerializer, **ERRORS},
        description="The called patient has been seen: the visit's end is recorded.",
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        return super().post(request, appointment_id)


class WorkspaceWalkInApi(APIView):
    permission_classes = [IsClinicStaff]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "WorkspaceWalkInInput"

        profile_id = serializers.IntegerField(min_value=1)
        id_card_last4 = serializers.CharField(
            min_length=4,
            max_length=4,
            help_text="The last four characters of the patient's ID number, as a check.",
        )
        paid_at_desk = serializers.BooleanField(
            help_text="true: the fee is paid at the desk; false: free."
        )

    @extend_schema(
        operation_id="appointments_workspace_walk_in",
        request=InputSerializer,
        responses={201: SessionQueueSerializer, **ERRORS},
        description="加号: add a seat to today's session and book it, checked in, for "
        "the patient at the desk. Refused (409 waitlist_not_empty) while patients wait "
        "on the session's waitlist: added seats go to them first.",
    )
    def post(self, request: Request, session_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = selectors.session_get_for_clinic_user(
            user=request.user, session_id=session_id
        )
        profile = patient_profile_get_for_desk(
            profile_id=data["profile_id"], id_card_last4=data["id_card_last4"]
        )
        walk_in_book(
            actor=Actor.from_request(request),
            session=session,
            profile=profile,
            paid_at_desk=data["paid_at_desk"],
        )
        return _queue_response(request, session_id, code=status.HTTP_201_CREATED)


class WorkspaceStopRequestApi(APIView):
    permission_classes = [IsDoctor]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "WorkspaceStopRequestInput"

        kind = serializers.ChoiceField(choices=SessionStopRequest.Kind.choices)
        reason = serializers.CharField(max_length=255)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "WorkspaceStopRequest"

        id = serializers.IntegerField()
        session_id = serializers.IntegerField()
        kind = serializers.CharField()
        reason = serializers.CharField()
        status = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="appointments_workspace_stop_request",
        request=InputSerializer,
        responses={201: OutputSerializer, **ERRORS},
        description="A doctor asks to stop (停诊) or to take leave for one of their "
        "sessions; hospital staff approve (which stops the session: appointments "
        "cancelled and refunded, patients told) or reject it in the admin. One open "
        "request per session (409 stop_request_open).",
    )
    def post(self, request: Request, session_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = selectors.session_get_for_clinic_user(
            user=request.user, session_id=session_id
        )
        stop_request = stop_request_create(
            actor=Actor.from_request(request),
            session=session,
            **serializer.validated_data,
        )
        return Response(
            self.OutputSerializer(stop_request).data, status=status.HTTP_201_CREATED
        )
