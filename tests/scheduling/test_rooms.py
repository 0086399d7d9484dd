"""Consulting rooms on sessions and weekly clinics: one open session per room at a time,
rooms of the doctor's hospital only, in use only; generation copies the room and type."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from hospitals.models import ConsultingRoom
from scheduling.models import ClinicSession, ClinicType, Period, ScheduleTemplate
from scheduling.services import (
    KEEP,
    schedule_template_generate,
    schedule_template_save,
    session_create,
    session_update,
)
from tests.hospitals.factories import ConsultingRoomFactory, DoctorFactory
from tests.scheduling.conftest import MONDAY
from tests.scheduling.factories import (
    ClinicSessionFactory,
    ScheduleTemplateFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

ACTOR = Actor.system()
DAY = datetime.timedelta(days=1)
WEDNESDAY = MONDAY + 2 * DAY
T = datetime.time


MORNING_START, MORNING_END = T(8), T(11)


def _create(
    doctor, room, start=MORNING_START, end=MORNING_END, **extra
) -> ClinicSession:
    return session_create(
        actor=ACTOR,
        doctor=doctor,
        date=WEDNESDAY,
        period=Period.MORNING,
        start_time=start,
        end_time=end,
        room=room,
        **extra,
    )


def test_a_session_gets_its_room_and_clinic_type(frozen):
    room = ConsultingRoomFactory()
    doctor = DoctorFactory(department=room.department)

    session = _create(doctor, room, clinic_type=ClinicType.EXPERT)

    session.refresh_from_db()
    assert (session.room_id, session.clinic_type) == (room.pk, "expert")
    log = OperationLog.objects.get(action="session_create")
    assert f"expert room={room.pk}" in log.summary


def test_a_room_taken_at_overlapping_hours_is_refused_and_nothing_is_written(frozen):
    # given: 张医生 holds room 3 from 08:00 to 11:00 on Wednesday
    room = ConsultingRoomFactory()
    first = _create(DoctorFactory(department=room.department), room)
    other = DoctorFactory(department=room.department)

    # when: another doctor of the department asks for it 10:30-12:00
    with pytest.raises(Conflict) as excinfo:
        _create(other, room, start=T(10, 30), end=T(12))

    # then
    assert excinfo.value.code == "room_occupied"
    assert "08:00-11:00" in excinfo.value.message
    assert first.doctor.name in excinfo.value.message
    assert list(ClinicSession.objects.values_list("pk", flat=True)) == [first.pk]
    assert OperationLog.objects.filter(action="session_create").count() == 1


def test_a_room_is_free_right_after_a_session_and_on_another_date(frozen):
    room = ConsultingRoomFactory()
    _create(DoctorFactory(department=room.department), room, end=T(10))

    after = _create(DoctorFactory(department=room.department), room, start=T(10))
    next_day = session_create(
        actor=ACTOR,
        doctor=DoctorFactory(department=room.department),
        date=WEDNESDAY + DAY,
        period=Period.MORNING,
        start_time=T(8),
        end_time=T(11),
        room=room,
    )

    assert after.room_id == next_day.room_id == room.pk


def test_a_stopped_session_frees_its_room(frozen):
    room = ConsultingRoomFactory()
    stopped = _create(DoctorFactory(department=room.department), room)
    ClinicSession.objects.filter(pk=stopped.pk).update(
        status=ClinicSession.Status.STOPPED
    )

    again = _create(DoctorFactory(department=room.department), room)

    assert again.room_id == room.pk


def test_a_room_of_another_hospital_is_refused(frozen):
    room = ConsultingRoomFactory()
    doctor = DoctorFactory()  # another hospital

    with pytest.raises(ValidationError) as excinfo:
        _create(doctor, room)

    assert set(excinfo.value.message_dict) == {"room"}
    assert ClinicSession.objects.exists() is False


def test_a_room_of_another_department_of_the_hospital_is_allowed(frozen):
    room = ConsultingRoomFactory()
    doctor = DoctorFactory(hospital=room.hospital)  # its own new department

    session = _create(doctor, room)

    assert session.room_id == room.pk


def test_a_room_out_of_use_is_refused(frozen):
    room = ConsultingRoomFactory(is_active=False)

    with pytest.raises(Conflict) as excinfo:
        _create(DoctorFactory(department=room.department), room)

    assert excinfo.value.code == "room_inactive"
    assert ClinicSession.objects.exists() is False


def test_moving_a_session_into_a_taken_room_is_refused_and_changes_nothing(frozen):
    room = ConsultingRoomFactory()
    _create(DoctorFactory(department=room.department), room)
    other = SlotFactory(
        session__doctor=DoctorFactory(department=room.department),
        session__date=WEDNESDAY,
    ).session

    with pytest.raises(Conflict) as excinfo:
        session_update(
            actor=ACTOR,
            session=other,
            start_time=other.start_time,
            end_time=other.end_time,
            fee=other.fee,
            place=other.place,
            room=room,
        )

    assert excinfo.value.code == "room_occupied"
    other.refresh_from_db()
    assert other.room_id is None


def test_new_hours_that_meet_another_session_in_the_room_are_refused(frozen):
    room = ConsultingRoomFactory()
    _create(DoctorFactory(department=room.department), room, end=T(9))
    later = _create(DoctorFactory(department=room.department), room, start=T(9))

    with pytest.raises(Conflict) as excinfo:
        session_update(
            actor=ACTOR,
            session=later,
            start_time=T(8, 30),
            end_time=later.end_time,
            fee=later.fee,
            place=later.place,
        )

    assert excinfo.value.code == "room_occupied"
    later.refresh_from_db()
    assert later.start_time == T(9)


def test_an_edit_changes_the_type_and_room_and_keeps_the_room_when_not_given(frozen):
    first = ConsultingRoomFactory()
    session = _create(DoctorFactory(department=first.department), first)
    second = ConsultingRoomFactory(department=first.department)

    session_update(
        actor=ACTOR,
        session=session,
        start_time=session.start_time,
        end_time=session.end_time,
        fee=session.fee,
        place=session.place,
        clinic_type=ClinicType.SPECIALIST,
        room=second,
    )
    session_update(
        actor=ACTOR,
        session=session,
        start_time=session.start_time,
        end_time=session.end_time,
        fee=session.fee + 100,
        place=session.place,
        room=KEEP,
    )

    session.refresh_from_db()
    assert (session.clinic_type, session.room_id) == ("specialist", second.pk)
    summaries = set(
        OperationLog.objects.filter(action="session_update").values_list(
            "summary", flat=True
        )
    )
    assert summaries == {
        f"clinic_type: general -> specialist; room_id: {first.pk} -> {second.pk}",
        f"fee: {session.fee - 100} -> {session.fee}",
    }


def test_generation_copies_the_templates_room_and_clinic_type(frozen):
    room = ConsultingRoomFactory()
    template = ScheduleTemplateFactory(
        doctor=DoctorFactory(department=room.department),
        weekday=2,
        room=room,
        clinic_type=ClinicType.EXPERT,
    )

    created = schedule_template_generate(templates=[template])

    session = template.sessions.get()
    assert created == 1
    assert (session.room_id, session.clinic_type) == (room.pk, "expert")


def test_generation_leaves_a_taken_room_off_but_still_makes_the_session(frozen, caplog):
    # given: an extra session of another doctor holds the room on the template's Wednesday
    room = ConsultingRoomFactory()
    _create(DoctorFactory(department=room.department), room)
    template = ScheduleTemplateFactory(
        doctor=DoctorFactory(department=room.department), weekday=2, room=room
    )

    # when
    created = schedule_template_generate(templates=[template])

    # then
    session = template.sessions.get()
    assert created == 1
    assert session.room_id is None
    assert "generated without room" in caplog.text


def test_a_weekly_clinic_in_a_room_another_holds_that_weekday_is_refused():
    room = ConsultingRoomFactory()
    ScheduleTemplateFactory(
        doctor=DoctorFactory(department=room.department), weekday=2, room=room
    )
    clash = ScheduleTemplate(
        doctor=DoctorFactory(department=room.department),
        weekday=2,
        period=Period.MORNING,
        start_time=T(11),
        end_time=T(12),
        room=room,
    )
    other_day = ScheduleTemplate(
        doctor=clash.doctor,
        weekday=3,
        period=Period.MORNING,
        start_time=T(11),
        end_time=T(12),
        room=room,
    )

    with pytest.raises(Conflict) as excinfo:
        schedule_template_save(actor=ACTOR, template=clash)
    schedule_template_save(actor=ACTOR, template=other_day)

    assert excinfo.value.code == "room_occupied"
    assert ScheduleTemplate.objects.filter(room=room).count() == 2


def test_a_weekly_clinic_with_a_room_of_another_hospital_is_refused():
    template = ScheduleTemplate(
        doctor=DoctorFactory(),
        weekday=1,
        period=Period.MORNING,
        start_time=T(8),
        end_time=T(11),
        room=ConsultingRoomFactory(),
    )

    with pytest.raises(ValidationError) as excinfo:
        schedule_template_save(actor=ACTOR, template=template)

    assert set(excinfo.value.message_dict) == {"room"}
    assert ScheduleTemplate.objects.exists() is False


def test_the_factory_session_has_no_room_and_is_general(frozen):
    session = ClinicSessionFactory()

    assert (session.room_id, session.clinic_type) == (None, "general")


def test_an_edit_can_take_the_room_away(frozen):
    room = ConsultingRoomFactory()
    session = _create(DoctorFactory(department=room.department), room)

    session_update(
        actor=ACTOR,
        session=session,
        start_time=session.start_time,
        end_time=session.end_time,
        fee=session.fee,
        place=session.place,
        room=None,
    )

    session.refresh_from_db()
    assert session.room_id is None
    # the room is free again for another doctor at the same hours
    assert _create(DoctorFactory(department=room.department), room).room_id == room.pk


def test_generation_leaves_a_retired_room_off(frozen):
    room = ConsultingRoomFactory()
    template = ScheduleTemplateFactory(
        doctor=DoctorFactory(department=room.department), weekday=2, room=room
    )
    ConsultingRoom.objects.filter(pk=room.pk).update(is_active=False)

    created = schedule_template_generate(templates=[template])

    assert created == 1
    assert template.sessions.get().room_id is None
