"""The patient's view of the schedule: what can be booked. No login needed.

A signed-in caller (a valid token; a bad one counts as none) also learns when they may
book a session not released yet: members earlier, in their level's priority window.
A doctor's session list is cached rendered, per kind of caller (scheduling.session_answers).
"""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import OptionalJWTAuthentication
from common.schema import HourMinuteField, error_response, error_responses
from hospitals.catalog_api import AnonymousCachedApi
from hospitals.models import Doctor
from scheduling.models import ClinicType
from scheduling.selectors import (
    caller_priority,
    session_availability_get,
    sessions_for_caller,
)
from scheduling.session_answers import doctor_sessions_answer, doctor_sessions_cached


class SlotOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    remaining = serializers.IntegerField()
    queue_start = serializers.IntegerField()


class RoomOutputSerializer(serializers.Serializer):
    """The consulting room (诊室) where the session is held."""

    id = serializers.IntegerField()
    name = serializers.CharField(help_text="Room name or number, as on the door.")
    floor = serializers.CharField(help_text="Floor, e.g. 3F or B1.")
    building = serializers.CharField(help_text="Building; empty when there is one.")


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
    place = serializers.CharField(help_text="Where the clinic is held, as free text.")
    clinic_type = serializers.ChoiceField(
        choices=ClinicType.choices,
        help_text=("expert (专家门诊), specialist (专科门诊) or general (普通门诊)."),
    )
    clinic_type_display = serializers.CharField(
        help_text="The clinic type in the patient's language."
    )
    room = RoomOutputSerializer(
        allow_null=True, help_text="The consulting room; null when none is assigned."
    )
    remaining = serializers.IntegerField(
        help_text=(
            "Seats left in all shown slots. Before the release a member may take only "
            "their level's share of the seats (booking answers priority_seats_taken)."
        )
    )
    release_at = serializers.DateTimeField(
        help_text="The public release (放号时间): everyone may book from then on."
    )
    release_queue = serializers.BooleanField(
        help_text=(
            "The session releases through a queue (排队放号): join its waiting room "
            "(appointments/release-queue/<id>/join/) before the release and book when "
            "admitted; until the queue's gate closes, booking without a pass is refused."
        )
    )
    can_book_from = serializers.DateTimeField(
        help_text=(
            "When this caller may book: earlier than release_at for a member in their "
            "level's priority window, release_at otherwise (and for anonymous callers)."
        )
    )
    bookable_now = serializers.BooleanField(
        help_text="Whether this caller may book the session now (can_book_from has passed)."
    )
    priority_seats_left = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "Before the release, for a member with a priority window: the seats of their "
            "level's share still free (会员优先号余量). Null after the release and for "
            "callers without a priority window."
        ),
    )
    slots = SlotOutputSerializer(many=True)


class DoctorSessionListApi(AnonymousCachedApi):
    """A doctor's sessions in the booking window, with seats left per slot.

    Open sessions, released ones in the window and unreleased ones with their release
    moment and when this caller may book them; only slots whose booking cutoff has not
    passed.
    """

    authentication_classes = [OptionalJWTAuthentication]
    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        clinic_type = serializers.ChoiceField(
            choices=ClinicType.choices,
            required=False,
            allow_blank=True,
            help_text=(
                "Only sessions of this clinic type: expert (专家门诊), "
                "specialist (专科门诊) or general (普通门诊). Empty: every type."
            ),
        )

    class OutputSerializer(serializers.Serializer):
        doctor_id = serializers.IntegerField()
        sessions = SessionOutputSerializer(many=True)

    @classmethod
    def cached_for_anonymous(cls, request: HttpRequest, **kwargs: Any) -> bytes | None:
        clinic_type = request.GET.get("clinic_type", "")
        if clinic_type and clinic_type not in ClinicType.values:
            return None  # the filter's 400 is DRF's
        return doctor_sessions_cached(
            doctor_id=kwargs["doctor_id"],
            priority=caller_priority(user=None),
            clinic_type=clinic_type,
            now=timezone.now(),
        )

    @extend_schema(
        operation_id="doctor_session_list",
        parameters=[FilterSerializer],
        responses={
            200: OutputSerializer,
            **error_responses(400),
            404: error_response(404, "Unknown or inactive doctor."),
        },
    )
    def get(self, request: Request, doctor_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)

        def render(doctor: Doctor, sessions: list[dict]) -> dict:
            return self.OutputSerializer(
                {"doctor_id": doctor.pk, "sessions": sessions}
            ).data

        return Response(
            doctor_sessions_answer(
                doctor_id=doctor_id,
                priority=caller_priority(user=request.user),
                clinic_type=filters.validated_data.get("clinic_type", ""),
                now=timezone.now(),
                render=render,
            )
        )


class SessionDetailApi(APIView):
    """One session with its slots, as in the doctor's list; 404 once it cannot be booked
    any more (stopped, or every slot past its cutoff)."""

    authentication_classes = [OptionalJWTAuthentication]
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
        now = timezone.now()
        session = session_availability_get(session_id=session_id, now=now)
        [session] = sessions_for_caller(
            [session], priority=caller_priority(user=request.user), now=now
        )
        return Response(self.OutputSerializer(session).data)
