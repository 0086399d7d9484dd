"""The naive way to book a seat, kept only as the rush benchmark's point of comparison.

`appointment_book_naive` is the textbook read-check-write: lock the slot row with
SELECT ... FOR UPDATE, read `booked` and `capacity`, check in Python, save the new count,
then insert the appointment. It is correct (the row lock serialises the bookers of a slot;
on SQLite the IMMEDIATE transactions serialise every writer), but every booker of a hot slot
queues on that lock, even once the slot is full. The real service,
appointments.services.booking.appointment_book, takes the seat with one conditional UPDATE.

Everything else is shared with the real service (bookability, caps, queue number, insert,
operation log), so the benchmark compares only the way the seat is taken. The route to
AppointmentBookNaiveApi exists only when settings.BENCHMARK_BASELINE_ENDPOINT is true, which
`manage.py rush_benchmark` sets for its own server; never set it in production.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import PatientProfile, User
from accounts.selectors import patient_profile_get_for_user
from appointments import selectors
from appointments.apis import AppointmentOutputSerializer
from appointments.errors import ErrorCode as AppointmentsError
from appointments.models import Appointment
from appointments.services.booking import (
    appointment_create_on_taken_seat,
    booking_is_early,
    caps_check,
    priority_quota_check,
    slot_check_bookable,
)
from common.errors import Conflict, NotAllowed
from common.services import Actor
from scheduling.errors import ErrorCode as SchedulingError
from scheduling.models import ClinicSession, Slot
from scheduling.rules import rule_for_hospital_id
from scheduling.services import availability_changed


@transaction.atomic
def appointment_book_naive(
    *,
    actor: Actor,
    user: User,
    profile: PatientProfile,
    slot: Slot,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Book one seat of `slot` for `profile` by locking, reading and saving the slot row.

    Same rules, errors and result as appointment_book; only the seat is taken differently.
    Lock order as in the real service: slot row, then user row, then the insert.
    """
    now = now or timezone.now()
    if profile.user_id != user.pk or profile.is_active is not True:
        raise NotAllowed(
            AppointmentsError.PROFILE_NOT_YOURS,
            _("This patient profile does not belong to you."),
        )
    session = slot.session
    rule = rule_for_hospital_id(session.hospital_id)
    early = booking_is_early(user=user, session=session, now=now)
    slot_check_bookable(slot=slot, session=session, rule=rule, now=now, early=early)
    if Appointment.objects.filter(
        profile=profile, session=session, holds_seat=True
    ).exists():
        raise Conflict(
            AppointmentsError.ALREADY_BOOKED,
            _("This patient already has a booking in this session."),
        )

    locked = Slot.objects.select_for_update().get(pk=slot.pk)
    if locked.booked >= locked.capacity:
        raise Conflict(
            AppointmentsError.SLOT_FULL, _("This time slot is fully booked.")
        )
    locked.booked += 1
    locked.full_clean(
        exclude=["session"], validate_unique=False, validate_constraints=False
    )
    locked.save(update_fields=["booked", "updated_at"])
    locked.session = session

    if not ClinicSession.objects.filter(
        pk=session.pk, status=ClinicSession.Status.OPEN
    ).exists():
        raise Conflict(
            SchedulingError.SESSION_STOPPED, _("This clinic session has been stopped.")
        )
    if early:
        priority_quota_check(user=user, session=session)
    User.objects.select_for_update().filter(pk=user.pk).first()
    caps_check(user=user, session=session, rule=rule)

    appointment = appointment_create_on_taken_seat(
        actor=actor,
        user=user,
        profile=profile,
        slot=locked,
        session=session,
        rule=rule,
        now=now,
        booked_early=early,
    )
    doctor_id = session.doctor_id
    transaction.on_commit(lambda: availability_changed(doctor_id=doctor_id))
    return appointment


class AppointmentBookNaiveApi(APIView):
    """POST {"slot_id", "profile_id"}: as AppointmentBookApi, through the naive service."""

    class InputSerializer(serializers.Serializer):
        slot_id = serializers.IntegerField(min_value=1)
        profile_id = serializers.IntegerField(min_value=1)

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        profile = patient_profile_get_for_user(
            user=request.user, profile_id=data["profile_id"]
        )
        slot = selectors.slot_get_for_booking(slot_id=data["slot_id"])
        appointment = appointment_book_naive(
            actor=Actor.from_request(request),
            user=request.user,
            profile=profile,
            slot=slot,
        )
        appointment = selectors.appointment_get_for_user(
            user=request.user, appointment_id=appointment.pk
        )
        return Response(
            AppointmentOutputSerializer(appointment).data,
            status=status.HTTP_201_CREATED,
        )
