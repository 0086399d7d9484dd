"""Calling patients on the clinic floor: call next, recall, skip (过号), seen."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import MemberLevel, PointsEntry
from appointments.models import Appointment
from appointments.services import (
    appointment_check_in,
    queue_call_next,
    queue_mark_seen,
    queue_recall,
    queue_skip,
    session_stop,
    sessions_mark_no_shows,
)
from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from scheduling.models import BookingRule
from tests.accounts.factories import PatientProfileFactory, default_levels
from tests.appointments.floor_helpers import floor_session, on_floor

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

ACTOR = Actor.system()
S = Appointment.Status


def _fresh(appointment: Appointment) -> Appointment:
    return Appointment.objects.get(pk=appointment.pk)


def test_call_next_calls_the_lowest_queue_number_and_starts_the_visit():
    # given three checked-in patients, checked in out of number order
    session = floor_session()
    third = on_floor(session, queue_no=3)
    first = on_floor(session, queue_no=1)
    on_floor(session, queue_no=2)
    now = timezone.now()

    # when
    called = queue_call_next(actor=ACTOR, session=session, now=now)

    # then
    assert called.pk == first.pk
    first = _fresh(first)
    assert first.status == S.CALLED
    assert first.call_count == 1
    assert first.visit_started_at == now
    assert first.last_called_at == now
    assert _fresh(third).status == S.CHECKED_IN
    assert OperationLog.objects.filter(
        action="appointment.called", object_id=str(first.pk)
    ).exists()


def test_call_next_skips_patients_who_have_not_checked_in():
    session = floor_session()
    not_here = on_floor(session, queue_no=1, status=S.BOOKED)
    here = on_floor(session, queue_no=2)

    called = queue_call_next(actor=ACTOR, session=session)

    assert called.pk == here.pk
    assert _fresh(not_here).status == S.BOOKED


def test_call_next_with_nobody_waiting_is_refused_and_changes_nothing():
    session = floor_session()
    booked = on_floor(session, queue_no=1, status=S.BOOKED)

    with pytest.raises(Conflict) as excinfo:
        queue_call_next(actor=ACTOR, session=session)

    assert excinfo.value.code == "queue_empty"
    assert _fresh(booked).status == S.BOOKED


def test_recall_counts_the_call_and_keeps_the_visit_start():
    session = floor_session()
    patient = on_floor(session, queue_no=1)
    start = timezone.now()
    queue_call_next(actor=ACTOR, session=session, now=start)
    later = start + datetime.timedelta(minutes=2)

    recalled = queue_recall(actor=ACTOR, appointment=patient, now=later)

    assert recalled.status == S.CALLED
    patient = _fresh(patient)
    assert patient.call_count == 2
    assert patient.last_called_at == later
    assert patient.visit_started_at == start
    assert OperationLog.objects.filter(
        action="appointment.recalled", object_id=str(patient.pk)
    ).exists()


def test_recall_of_a_patient_not_called_is_refused():
    session = floor_session()
    patient = on_floor(session, queue_no=1)

    with pytest.raises(Conflict) as excinfo:
        queue_recall(actor=ACTOR, appointment=patient)

    assert excinfo.value.code == "not_called"
    assert _fresh(patient).call_count == 0


def test_skip_then_call_next_moves_on_and_a_skipped_patient_can_be_called_back():
    # given patient 1 called and skipped
    session = floor_session()
    one = on_floor(session, queue_no=1)
    two = on_floor(session, queue_no=2)
    queue_call_next(actor=ACTOR, session=session)
    queue_skip(actor=ACTOR, appointment=one)

    # when the desk calls next, then the doctor calls patient 1 back directly
    nxt = queue_call_next(actor=ACTOR, session=session)
    back = queue_recall(actor=ACTOR, appointment=one)

    # then
    assert nxt.pk == two.pk
    assert back.status == S.CALLED
    assert _fresh(one).call_count == 2


def test_a_skipped_patient_checks_in_again_and_rejoins_at_their_number():
    # given patient 1 skipped while patient 2 waits
    session = floor_session()
    one = on_floor(session, queue_no=1)
    on_floor(session, queue_no=2)
    queue_call_next(actor=ACTOR, session=session)
    queue_skip(actor=ACTOR, appointment=one)

    # when they check in again at the desk
    nine = timezone.make_aware(
        datetime.datetime.combine(session.date, datetime.time(9, 0))
    )
    appointment_check_in(actor=ACTOR, appointment=_fresh(one), by_staff=True, now=nine)
    called = queue_call_next(actor=ACTOR, session=session)

    # then they are called before number 2
    assert called.pk == one.pk


def test_mark_seen_records_the_end_and_completes_with_points():
    session = floor_session()
    patient = on_floor(session, queue_no=1)
    queue_call_next(actor=ACTOR, session=session)
    end = timezone.now() + datetime.timedelta(minutes=8)

    seen = queue_mark_seen(actor=ACTOR, appointment=patient, now=end)

    assert seen.status == S.COMPLETED
    patient = _fresh(patient)
    assert patient.visit_ended_at == end
    assert PointsEntry.objects.filter(
        source_type="appointment_completed", source_id=str(patient.pk)
    ).exists()


@pytest.mark.parametrize("status", [S.CHECKED_IN, S.SKIPPED, S.BOOKED])
def test_only_a_called_patient_can_be_seen_or_skipped(status):
    session = floor_session()
    patient = on_floor(session, queue_no=1, status=status)

    with pytest.raises(Conflict):
        queue_mark_seen(actor=ACTOR, appointment=patient)
    with pytest.raises(Conflict):
        queue_skip(actor=ACTOR, appointment=patient)

    assert _fresh(patient).status == status


def test_a_stopped_session_sends_called_and_skipped_patients_home():
    session = floor_session()
    called = on_floor(session, queue_no=1, status=S.CALLED)
    skipped = on_floor(session, queue_no=2, status=S.SKIPPED)

    result = session_stop(actor=ACTOR, session=session, reason="医生急诊")

    assert result.cancelled == 2
    assert _fresh(called).status == S.CANCELLED
    assert _fresh(skipped).status == S.CANCELLED
    with pytest.raises(Conflict) as excinfo:
        queue_call_next(actor=ACTOR, session=session)
    assert excinfo.value.code == "session_stopped"


# -- members first at the visit ---------------------------------------------------------


def _member(level: MemberLevel):
    profile = PatientProfileFactory()
    profile.user.member_level = level
    profile.user.save(update_fields=["member_level"])
    return profile


def _vip_first(session, *, rule_on: bool) -> tuple[Appointment, Appointment]:
    vip = default_levels()["vip"]
    MemberLevel.objects.filter(pk=vip.pk).update(visit_priority=True)
    BookingRule.objects.update_or_create(
        hospital=session.hospital, defaults={"members_first_at_visit": rule_on}
    )
    plain = on_floor(session, queue_no=1)
    member = on_floor(session, queue_no=5, profile=_member(vip))
    return plain, member


def test_with_the_rule_on_members_with_the_privilege_are_called_first():
    session = floor_session()
    plain, member = _vip_first(session, rule_on=True)

    first = queue_call_next(actor=ACTOR, session=session)
    second = queue_call_next(actor=ACTOR, session=session)

    assert [first.pk, second.pk] == [member.pk, plain.pk]


def test_with_the_rule_off_the_queue_number_decides():
    session = floor_session()
    plain, member = _vip_first(session, rule_on=False)

    first = queue_call_next(actor=ACTOR, session=session)

    assert first.pk == plain.pk


def test_a_level_without_the_privilege_waits_its_turn():
    session = floor_session()
    BookingRule.objects.update_or_create(
        hospital=session.hospital, defaults={"members_first_at_visit": True}
    )
    plain = on_floor(session, queue_no=1)
    on_floor(session, queue_no=2, profile=_member(default_levels()["gold"]))

    assert queue_call_next(actor=ACTOR, session=session).pk == plain.pk


def test_a_skipped_patient_who_never_returns_is_a_no_show_after_the_session():
    session = floor_session()
    skipped = on_floor(session, queue_no=1, status=S.SKIPPED)
    seen = on_floor(session, queue_no=2, status=S.COMPLETED)
    after = timezone.make_aware(
        datetime.datetime.combine(session.date, datetime.time(12, 1))
    )

    marked = sessions_mark_no_shows(actor=ACTOR, now=after)

    assert marked == 1
    assert _fresh(skipped).status == S.NO_SHOW
    assert _fresh(seen).status == S.COMPLETED
