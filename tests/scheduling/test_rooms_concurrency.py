"""Concurrent writes asking for one consulting room at overlapping hours: one wins.

Real threads on the real engine (MariaDB/MySQL in CI), skipped on SQLite, which serialises
writers and so cannot show the race. Without the room's row lock every writer's check
would see no clash and all of them would insert.
"""

import datetime
from collections import Counter

import pytest
from django.utils import timezone

from common.errors import Conflict
from common.services import Actor
from scheduling.models import ClinicSession, Period
from scheduling.services import session_create, session_update
from tests.hospitals.factories import ConsultingRoomFactory, DoctorFactory
from tests.race import needs_row_locks, run_at_once
from tests.scheduling.factories import ClinicSessionFactory

pytestmark = [
    pytest.mark.clock,
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]

ACTOR = Actor.system()
T = datetime.time


def _outcome(result: object) -> str:
    if isinstance(result, ClinicSession):
        return "created"
    if isinstance(result, Conflict):
        return result.code
    return repr(result)


def test_concurrent_sessions_asking_for_one_room_at_overlapping_hours_get_it_once():
    room = ConsultingRoomFactory()
    doctors = [DoctorFactory(department=room.department) for _ in range(10)]

    for round_no in range(3):  # a few rounds give the race more chances
        # given: ten doctors, each adding an extra session in the same room, hours overlapping
        day = timezone.localdate() + datetime.timedelta(days=2 + round_no)

        def create(doctor_id: int, minute: int, day=day) -> object:
            from hospitals.models import ConsultingRoom, Doctor

            return session_create(
                actor=ACTOR,
                doctor=Doctor.objects.select_related("hospital", "department").get(
                    pk=doctor_id
                ),
                date=day,
                period=Period.MORNING,
                start_time=T(8, minute),
                end_time=T(11, minute),
                room=ConsultingRoom.objects.get(pk=room.pk),
            )

        # when
        results = run_at_once(
            [
                lambda d=doctor.pk, m=i * 5: create(d, m)
                for i, doctor in enumerate(doctors)
            ]
        )

        # then: one session holds the room, every other writer was refused
        assert Counter(_outcome(r) for r in results) == {
            "created": 1,
            "room_occupied": 9,
        }
        assert ClinicSession.objects.filter(room=room, date=day).count() == 1


def test_an_edit_and_a_new_session_racing_for_a_room_cannot_both_take_it():
    for round_no in range(5):
        # given: an open session without a room; a new session wants the room at the
        # same hours while staff move the first session into it
        room = ConsultingRoomFactory()
        day = timezone.localdate() + datetime.timedelta(days=2 + round_no)
        existing = ClinicSessionFactory(
            doctor=DoctorFactory(department=room.department),
            date=day,
            start_time=T(8),
            end_time=T(11),
        )
        newcomer = DoctorFactory(department=room.department)

        def move(existing=existing, room=room) -> object:
            session = ClinicSession.objects.get(pk=existing.pk)
            return session_update(
                actor=ACTOR,
                session=session,
                start_time=session.start_time,
                end_time=session.end_time,
                fee=session.fee,
                place=session.place,
                room=room,
            )

        def create(day=day, room=room, newcomer=newcomer) -> object:
            return session_create(
                actor=ACTOR,
                doctor=newcomer,
                date=day,
                period=Period.MORNING,
                start_time=T(9),
                end_time=T(10),
                room=room,
            )

        # when
        results = run_at_once([move, create])

        # then
        assert sorted(_outcome(r) for r in results) == ["created", "room_occupied"]
        assert ClinicSession.objects.filter(room=room).count() == 1
