import datetime

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from appointments.models import Appointment, WaitlistEntry
from appointments.services import waitlist_join
from common.errors import Conflict, Unprocessable
from common.models import OperationLog
from common.services import Actor
from scheduling import services
from scheduling.models import BookingRule, ClinicSession, Period, ScheduleTemplate, Slot
from scheduling.services import (
    availability_changed,
    availability_versions,
    booking_rule_save,
    schedule_template_save,
    session_add_slot,
    session_create,
    session_update,
    sessions_generate,
    sessions_release,
    slot_add_seats,
)
from tests.appointments.factories import PatientProfileFactory
from tests.hospitals.factories import DoctorFactory
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.factories import (
    BookingRuleFactory,
    ClinicSessionFactory,
    ScheduleTemplateFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

ACTOR = Actor.system()
DAY = datetime.timedelta(days=1)


def _slots(session: ClinicSession) -> list[tuple[str, str, int, int]]:
    return [
        (
            f"{s.starts_at.astimezone(at(MONDAY, 0).tzinfo):%H:%M}",
            f"{s.ends_at.astimezone(at(MONDAY, 0).tzinfo):%H:%M}",
            s.capacity,
            s.queue_start,
        )
        for s in session.slots.order_by("starts_at")
    ]


# -- sessions_generate ------------------------------------------------------------------


def test_generation_creates_sessions_on_matching_weekdays_up_to_the_window_end_plus_one_day(
    frozen,
):
    # given: Monday 07:00, default rule (7-day window, 08:00 release)
    template = ScheduleTemplateFactory(
        weekday=0,
        period=Period.MORNING,
        start_time=datetime.time(8, 0),
        end_time=datetime.time(9, 20),
        slot_minutes=30,
        seats_per_slot=4,
        doctor__fee=2500,
    )

    # when
    created = sessions_generate()

    # then: today and next Monday (today + 7 <= today + 8)
    assert created == 2
    sessions = list(ClinicSession.objects.order_by("date"))
    assert [s.date for s in sessions] == [MONDAY, MONDAY + 7 * DAY]
    today, next_week = sessions
    doctor = template.doctor
    assert next_week.doctor == doctor
    assert next_week.hospital_id == doctor.hospital_id
    assert next_week.template == template
    assert next_week.period == Period.MORNING
    assert next_week.fee == 2500
    assert next_week.place == f"{doctor.hospital.name} {doctor.department.name}"
    assert next_week.status == ClinicSession.Status.OPEN
    # released at 08:00 on the day it enters the 7-day window
    assert next_week.release_at == at(MONDAY, 8, 0)
    assert next_week.is_released is False
    assert today.release_at == at(MONDAY - 7 * DAY, 8, 0)
    assert today.is_released is True
    assert _slots(next_week) == [
        ("08:00", "08:30", 4, 1),
        ("08:30", "09:00", 4, 5),
        ("09:00", "09:20", 3, 9),
    ]


def test_generation_uses_the_template_fee_over_the_doctors(frozen):
    ScheduleTemplateFactory(weekday=1, fee=8800, doctor__fee=2000)

    sessions_generate()

    # Tuesday and the Tuesday after, the window's last day + 1
    assert list(ClinicSession.objects.values_list("fee", flat=True)) == [8800, 8800]


def test_generation_follows_each_hospitals_window(frozen):
    # given: a 2-day window means today .. today + 3
    short = BookingRuleFactory(window_days=2)
    for weekday in range(7):
        ScheduleTemplateFactory(
            weekday=weekday, doctor=DoctorFactory(hospital=short.hospital)
        )

    sessions_generate()

    dates = sorted(ClinicSession.objects.values_list("date", flat=True))
    assert dates == [MONDAY + n * DAY for n in range(4)]


def test_generation_with_days_overrides_the_window(frozen):
    ScheduleTemplateFactory(weekday=0)

    assert sessions_generate(days=0) == 1
    assert sessions_generate(days=14) == 2
    assert sorted(ClinicSession.objects.values_list("date", flat=True)) == [
        MONDAY,
        MONDAY + 7 * DAY,
        MONDAY + 14 * DAY,
    ]


def test_generation_from_a_given_today(frozen):
    ScheduleTemplateFactory(weekday=2)

    created = sessions_generate(today=MONDAY + 7 * DAY, days=2)

    assert created == 1
    assert list(ClinicSession.objects.values_list("date", flat=True)) == [
        MONDAY + 9 * DAY
    ]


@pytest.mark.parametrize("days", [-1, 61])
def test_generation_refuses_days_out_of_range(frozen, days):
    ScheduleTemplateFactory(weekday=0)

    with pytest.raises(Unprocessable) as excinfo:
        sessions_generate(days=days)

    assert excinfo.value.code == "invalid_days"
    assert ClinicSession.objects.exists() is False


def test_generation_twice_creates_nothing_the_second_time(frozen):
    # given
    for weekday in (0, 3):
        ScheduleTemplateFactory(
            weekday=weekday,
            period=Period.AFTERNOON,
            start_time=datetime.time(14),
            end_time=datetime.time(17),
        )
    first = sessions_generate()
    slots = list(
        Slot.objects.order_by("pk").values_list("pk", "capacity", "queue_start")
    )
    logs = OperationLog.objects.count()

    # when
    second = sessions_generate()

    # then
    assert (first, second) == (3, 0)
    assert (
        list(Slot.objects.order_by("pk").values_list("pk", "capacity", "queue_start"))
        == slots
    )
    assert OperationLog.objects.count() == logs


def test_generation_skips_existing_sessions_even_stopped_ones(frozen):
    template = ScheduleTemplateFactory(weekday=0)
    ClinicSessionFactory(
        doctor=template.doctor,
        date=MONDAY + 7 * DAY,
        period=template.period,
        status=ClinicSession.Status.STOPPED,
        stop_reason="会议",
    )

    created = sessions_generate()

    assert created == 1  # only today's
    stopped = ClinicSession.objects.get(date=MONDAY + 7 * DAY)
    assert stopped.status == ClinicSession.Status.STOPPED
    assert stopped.slots.exists() is False


def test_inactive_doctors_closed_hospitals_and_inactive_templates_get_no_sessions(
    frozen,
):
    ScheduleTemplateFactory(weekday=0, doctor__is_active=False)
    ScheduleTemplateFactory(weekday=0, doctor__hospital__is_open=False)
    ScheduleTemplateFactory(weekday=0, is_active=False)

    assert sessions_generate() == 0
    assert ClinicSession.objects.exists() is False


def test_sessions_that_already_ended_today_are_not_generated(frozen):
    frozen.move_to(at(MONDAY, 13, 0))
    ScheduleTemplateFactory(weekday=0, period=Period.MORNING)
    ScheduleTemplateFactory(
        weekday=0,
        period=Period.AFTERNOON,
        start_time=datetime.time(14, 0),
        end_time=datetime.time(17, 0),
    )

    sessions_generate(days=0)

    assert list(ClinicSession.objects.values_list("period", flat=True)) == [
        Period.AFTERNOON
    ]


def test_generation_logs_each_session_and_refreshes_availability_of_visible_ones(
    frozen, django_capture_on_commit_callbacks
):
    template = ScheduleTemplateFactory(weekday=0)
    before = availability_versions(
        doctor_id=template.doctor_id, hospital_id=template.doctor.hospital_id
    )

    with django_capture_on_commit_callbacks(execute=True):
        sessions_generate()

    assert sorted(
        OperationLog.objects.filter(action="session_generate").values_list(
            "object_id", flat=True
        )
    ) == sorted(str(pk) for pk in ClinicSession.objects.values_list("pk", flat=True))
    after = availability_versions(
        doctor_id=template.doctor_id, hospital_id=template.doctor.hospital_id
    )
    assert after[0] == before[0] + 1  # today's session is visible at once
    assert after[1] == before[1]


def test_a_session_created_by_a_concurrent_run_is_skipped_without_error(frozen):
    # given: another run inserted the session after this run listed the existing ones
    template = ScheduleTemplateFactory(weekday=0)
    ClinicSessionFactory(doctor=template.doctor, date=MONDAY, period=template.period)
    rule = BookingRule(hospital_id=template.doctor.hospital_id)

    # when
    created = services._generate_one(
        template=template, rule=rule, date=MONDAY, now=at(MONDAY, 7)
    )

    # then
    assert created is False
    assert ClinicSession.objects.filter(date=MONDAY).count() == 1


# -- sessions_release --------------------------------------------------------------------


def test_release_happens_at_the_exact_minute(
    frozen, django_capture_on_commit_callbacks
):
    # given: a session released at 08:00
    session = ClinicSessionFactory(release_at=at(MONDAY, 8, 0))
    assert session.is_released is False
    version = availability_versions(
        doctor_id=session.doctor_id, hospital_id=session.hospital_id
    )[0]

    # when: one second early
    frozen.move_to(at(MONDAY, 7, 59, 59))
    early = sessions_release()

    # then
    session.refresh_from_db()
    assert early == 0
    assert session.is_released is False

    # when: on the minute
    frozen.move_to(at(MONDAY, 8, 0, 0))
    with django_capture_on_commit_callbacks(execute=True):
        on_time = sessions_release()

    # then
    session.refresh_from_db()
    assert on_time == 1
    assert session.is_released is True
    assert (
        availability_versions(
            doctor_id=session.doctor_id, hospital_id=session.hospital_id
        )[0]
        == version + 1
    )


def test_release_twice_changes_nothing_the_second_time(
    frozen, django_capture_on_commit_callbacks
):
    sessions = ClinicSessionFactory.create_batch(
        3, release_at=at(MONDAY, 6, 0), is_released=False
    )
    ClinicSessionFactory(release_at=at(MONDAY, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        first = sessions_release()
    version = availability_versions(
        doctor_id=sessions[0].doctor_id, hospital_id=sessions[0].hospital_id
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = sessions_release()

    assert (first, second) == (3, 0)
    assert callbacks == []
    assert (
        availability_versions(
            doctor_id=sessions[0].doctor_id, hospital_id=sessions[0].hospital_id
        )
        == version
    )
    assert list(
        ClinicSession.objects.order_by("release_at").values_list(
            "is_released", flat=True
        )
    ) == [True, True, True, False]


def test_release_with_an_explicit_now():
    session = ClinicSessionFactory(release_at=at(MONDAY, 8, 0), is_released=False)

    assert sessions_release(now=at(MONDAY, 8, 0)) == 1
    session.refresh_from_db()
    assert session.is_released is True


# -- availability versions -----------------------------------------------------------------


def test_availability_changed_bumps_only_that_doctors_version():
    a, b = DoctorFactory(), DoctorFactory()
    before_a = availability_versions(doctor_id=a.pk, hospital_id=a.hospital_id)
    before_b = availability_versions(doctor_id=b.pk, hospital_id=b.hospital_id)

    availability_changed(doctor_id=a.pk)

    assert availability_versions(doctor_id=a.pk, hospital_id=a.hospital_id) == (
        before_a[0] + 1,
        before_a[1],
    )
    assert availability_versions(doctor_id=b.pk, hospital_id=b.hospital_id) == before_b


def test_availability_changed_works_when_the_version_was_evicted():
    doctor = DoctorFactory()
    availability_changed(doctor_id=doctor.pk)
    first = availability_versions(doctor_id=doctor.pk, hospital_id=doctor.hospital_id)
    cache.clear()

    availability_changed(doctor_id=doctor.pk)

    assert (
        availability_versions(doctor_id=doctor.pk, hospital_id=doctor.hospital_id)[0]
        > first[0]
    )


# -- booking rules and templates ----------------------------------------------------------------


def test_saving_a_rule_reschedules_unreleased_sessions_only(
    frozen, django_capture_on_commit_callbacks
):
    # given: one released session, one not yet released (default 7-day window, 08:00)
    rule = BookingRuleFactory()
    hospital = rule.hospital
    doctor = DoctorFactory(hospital=hospital)
    released = ClinicSessionFactory(
        doctor=doctor,
        date=MONDAY + 2 * DAY,
        period=Period.MORNING,
        release_at=at(MONDAY - 5 * DAY, 8),
    )
    pending = ClinicSessionFactory(
        doctor=doctor, date=MONDAY + 8 * DAY, release_at=at(MONDAY + DAY, 8)
    )
    hospital_version = availability_versions(
        doctor_id=doctor.pk, hospital_id=hospital.pk
    )[1]

    # when: a 10-day window released at 07:30
    rule.window_days = 10
    rule.release_time = datetime.time(7, 30)
    with django_capture_on_commit_callbacks(execute=True):
        booking_rule_save(actor=ACTOR, rule=rule)

    # then
    released.refresh_from_db()
    pending.refresh_from_db()
    assert released.release_at == at(MONDAY - 5 * DAY, 8)
    assert pending.release_at == at(MONDAY - 2 * DAY, 7, 30)
    assert BookingRule.objects.get().window_days == 10
    log = OperationLog.objects.get(action="booking_rule_update")
    assert log.object_id == str(rule.pk)
    assert (
        availability_versions(doctor_id=doctor.pk, hospital_id=hospital.pk)[1]
        == hospital_version + 1
    )


def test_an_invalid_rule_is_refused_and_nothing_changes(frozen):
    rule = BookingRuleFactory(window_days=7)
    rule.window_days = 31

    with pytest.raises(ValidationError) as excinfo:
        booking_rule_save(actor=ACTOR, rule=rule)

    assert set(excinfo.value.message_dict) == {"window_days"}
    assert BookingRule.objects.get().window_days == 7
    assert OperationLog.objects.exists() is False


def test_saving_a_template_logs_it_and_a_duplicate_period_is_refused():
    doctor = DoctorFactory()
    template = ScheduleTemplate(
        doctor=doctor,
        weekday=2,
        period=Period.MORNING,
        start_time=datetime.time(8),
        end_time=datetime.time(11),
    )

    schedule_template_save(actor=ACTOR, template=template)

    assert OperationLog.objects.get().action == "schedule_template_create"
    duplicate = ScheduleTemplate(
        doctor=doctor,
        weekday=2,
        period=Period.MORNING,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )
    with pytest.raises(ValidationError):
        schedule_template_save(actor=ACTOR, template=duplicate)
    assert ScheduleTemplate.objects.count() == 1
    assert OperationLog.objects.count() == 1


# -- staff edits ----------------------------------------------------------------------------


def test_staff_create_an_extra_session_split_into_slots(frozen):
    doctor = DoctorFactory(fee=3000)

    session = session_create(
        actor=ACTOR,
        doctor=doctor,
        date=MONDAY + 3 * DAY,
        period=Period.EVENING,
        start_time=datetime.time(18, 0),
        end_time=datetime.time(19, 0),
        slot_minutes=20,
        seats_per_slot=2,
    )

    assert session.fee == 3000
    assert session.release_at == at(MONDAY - 4 * DAY, 8)
    assert session.is_released is True
    assert _slots(session) == [
        ("18:00", "18:20", 2, 1),
        ("18:20", "18:40", 2, 3),
        ("18:40", "19:00", 2, 5),
    ]
    assert OperationLog.objects.get().action == "session_create"


def test_extra_session_refused_for_inactive_doctor_or_past_date(frozen):
    with pytest.raises(Conflict) as excinfo:
        session_create(
            actor=ACTOR,
            doctor=DoctorFactory(is_active=False),
            date=MONDAY,
            period=Period.EVENING,
            start_time=datetime.time(18),
            end_time=datetime.time(19),
        )
    assert excinfo.value.code == "doctor_unavailable"
    with pytest.raises(Unprocessable) as excinfo:
        session_create(
            actor=ACTOR,
            doctor=DoctorFactory(),
            date=MONDAY - DAY,
            period=Period.EVENING,
            start_time=datetime.time(18),
            end_time=datetime.time(19),
        )
    assert excinfo.value.code == "date_in_past"
    assert ClinicSession.objects.exists() is False


def _generated_session(**template) -> ClinicSession:
    ScheduleTemplateFactory(weekday=2, **template)
    sessions_generate()
    return ClinicSession.objects.get()


def test_editing_fee_and_place_keeps_the_slots(frozen):
    session = _generated_session()
    slots = list(session.slots.values_list("pk", flat=True))

    updated = session_update(
        actor=ACTOR,
        session=session,
        start_time=session.start_time,
        end_time=session.end_time,
        fee=999,
        place="二楼 3 诊室",
    )

    assert (updated.fee, updated.place) == (999, "二楼 3 诊室")
    assert list(session.slots.values_list("pk", flat=True)) == slots
    log = OperationLog.objects.get(action="session_update")
    assert "fee: 2000 -> 999" in log.summary


def test_editing_the_times_rebuilds_the_slots_with_the_same_shape(frozen):
    session = _generated_session(slot_minutes=30, seats_per_slot=4)

    session_update(
        actor=ACTOR,
        session=session,
        start_time=datetime.time(9, 0),
        end_time=datetime.time(10, 0),
        fee=session.fee,
        place=session.place,
    )

    session.refresh_from_db()
    assert (session.start_time, session.end_time) == (
        datetime.time(9),
        datetime.time(10),
    )
    assert _slots(session) == [("09:00", "09:30", 4, 1), ("09:30", "10:00", 4, 5)]


def test_a_booked_session_cannot_be_edited_and_nothing_changes(frozen):
    session = _generated_session()
    Slot.objects.filter(pk=session.slots.first().pk).update(booked=1)

    with pytest.raises(Conflict) as excinfo:
        session_update(
            actor=ACTOR,
            session=session,
            start_time=datetime.time(9),
            end_time=datetime.time(10),
            fee=1,
            place="x",
        )

    assert excinfo.value.code == "session_has_bookings"
    session.refresh_from_db()
    assert (session.start_time, session.fee) == (datetime.time(8), 2000)
    assert session.slots.count() == 8
    assert OperationLog.objects.filter(action="session_update").exists() is False


def test_a_stopped_session_cannot_be_edited(frozen):
    session = ClinicSessionFactory(status=ClinicSession.Status.STOPPED)

    with pytest.raises(Conflict) as excinfo:
        session_update(
            actor=ACTOR,
            session=session,
            start_time=session.start_time,
            end_time=session.end_time,
            fee=1,
            place="",
        )

    assert excinfo.value.code == "session_stopped"
    session.refresh_from_db()
    assert session.fee == 2000


def test_adding_seats_increments_capacity_and_logs(
    frozen, django_capture_on_commit_callbacks
):
    slot = SlotFactory(capacity=5, booked=2)
    version = availability_versions(
        doctor_id=slot.session.doctor_id, hospital_id=slot.session.hospital_id
    )[0]

    with django_capture_on_commit_callbacks(execute=True):
        result = slot_add_seats(actor=ACTOR, slot=slot, seats=3)

    assert (result.capacity, result.booked) == (8, 2)
    slot.refresh_from_db()
    assert slot.capacity == 8
    log = OperationLog.objects.get(action="slot_add_seats")
    assert log.summary == "+3 seats, capacity=8"
    assert (
        availability_versions(
            doctor_id=slot.session.doctor_id, hospital_id=slot.session.hospital_id
        )[0]
        == version + 1
    )


def test_added_seats_go_to_the_waitlist_first(frozen):
    # given: a full slot and a patient waiting
    slot = SlotFactory(capacity=1, booked=1)
    profile = PatientProfileFactory()
    entry = waitlist_join(
        actor=ACTOR, user=profile.user, profile=profile, session=slot.session
    )

    # when
    result = slot_add_seats(actor=ACTOR, slot=slot, seats=1)

    # then
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.PROMOTED
    appointment = Appointment.objects.get()
    assert (appointment.profile, appointment.slot) == (profile, slot)
    assert (result.capacity, result.booked) == (2, 2)


@pytest.mark.parametrize("seats", [0, -1, 501])
def test_adding_a_bad_number_of_seats_is_refused(frozen, seats):
    slot = SlotFactory(capacity=5)

    with pytest.raises(Unprocessable) as excinfo:
        slot_add_seats(actor=ACTOR, slot=slot, seats=seats)

    assert excinfo.value.code == "invalid_seats"
    slot.refresh_from_db()
    assert slot.capacity == 5


def test_seats_cannot_be_added_past_the_slot_limit_or_to_a_stopped_session(frozen):
    big = SlotFactory(capacity=500)
    with pytest.raises(Conflict) as excinfo:
        slot_add_seats(actor=ACTOR, slot=big, seats=1)
    assert excinfo.value.code == "slot_capacity_limit"

    stopped = SlotFactory(session__status=ClinicSession.Status.STOPPED)
    with pytest.raises(Conflict) as excinfo:
        slot_add_seats(actor=ACTOR, slot=stopped, seats=1)
    assert excinfo.value.code == "session_stopped"

    big.refresh_from_db()
    stopped.refresh_from_db()
    assert (big.capacity, stopped.capacity) == (500, 5)
    assert OperationLog.objects.exists() is False


def test_an_extra_slot_continues_the_queue_numbers(frozen):
    # given: two slots, numbers 1-5 and 6-10, then two seats added to the first
    first = SlotFactory(capacity=5)
    SlotFactory(session=first.session, capacity=5)
    slot_add_seats(actor=ACTOR, slot=first, seats=2)
    session = first.session

    # when: an extra slot after the session
    extra = session_add_slot(
        actor=ACTOR,
        session=session,
        starts_at=at(session.date, 12, 0),
        ends_at=at(session.date, 12, 30),
        capacity=3,
    )

    # then: after all 12 seats of the session
    assert (extra.queue_start, extra.capacity, extra.booked) == (13, 3, 0)
    assert (
        OperationLog.objects.filter(
            action="session_add_slot", object_id=str(extra.pk)
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    ("starts", "ends", "capacity", "code"),
    [
        ((8, 15), (8, 45), 2, "slot_overlaps"),
        ((12, 30), (12, 0), 2, "invalid_times"),
        ((12, 0), (12, 30), 0, "invalid_seats"),
    ],
)
def test_bad_extra_slots_are_refused(frozen, starts, ends, capacity, code):
    slot = SlotFactory()  # 08:00-08:30 two days ahead
    date = slot.session.date

    with pytest.raises((Conflict, Unprocessable)) as excinfo:
        session_add_slot(
            actor=ACTOR,
            session=slot.session,
            starts_at=at(date, *starts),
            ends_at=at(date, *ends),
            capacity=capacity,
        )

    assert excinfo.value.code == code
    assert Slot.objects.count() == 1


def test_extra_slots_must_be_on_the_session_date_in_the_future_and_aware(frozen):
    slot = SlotFactory()
    session = slot.session
    other_day = session.date + DAY
    naive_start = datetime.datetime(2026, 3, 11, 12, 0)  # noqa: DTZ001

    cases = [
        (at(other_day, 9), at(other_day, 10), "slot_outside_session_date"),
        (at(MONDAY, 6), at(MONDAY, 6, 30), "slot_outside_session_date"),
        (naive_start, naive_start + datetime.timedelta(hours=1), "naive_datetime"),
    ]
    for starts_at, ends_at, code in cases:
        with pytest.raises(Unprocessable) as excinfo:
            session_add_slot(
                actor=ACTOR,
                session=session,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=1,
            )
        assert excinfo.value.code == code

    today = ClinicSessionFactory(date=MONDAY)
    with pytest.raises(Unprocessable) as excinfo:
        session_add_slot(
            actor=ACTOR,
            session=today,
            starts_at=at(MONDAY, 6, 30),
            ends_at=at(MONDAY, 6, 50),
            capacity=1,
        )
    assert excinfo.value.code == "slot_in_past"
    assert Slot.objects.count() == 1
