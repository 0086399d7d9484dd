"""Service rules behind the desk clerk's admin: period hours, overlaps, generating one
template's sessions, and the booking rule of a new hospital."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from scheduling.models import BookingRule, ClinicSession, Period, ScheduleTemplate
from scheduling.services import (
    booking_rule_create_default,
    schedule_template_generate,
    schedule_template_save,
    session_create,
    session_update,
)
from tests.hospitals.factories import DoctorFactory, HospitalFactory
from tests.scheduling.conftest import MONDAY
from tests.scheduling.factories import (
    BookingRuleFactory,
    ClinicSessionFactory,
    ScheduleTemplateFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

ACTOR = Actor.system()
DAY = datetime.timedelta(days=1)
T = datetime.time


@pytest.mark.parametrize(
    ("period", "start", "end", "bad"),
    [
        (Period.MORNING, T(13, 30), T(17, 0), {"start_time", "end_time"}),
        (Period.MORNING, T(5, 30), T(11, 0), {"start_time"}),
        (Period.AFTERNOON, T(11, 0), T(17, 0), {"start_time"}),
        (Period.AFTERNOON, T(14, 0), T(19, 0), {"end_time"}),
        (Period.EVENING, T(16, 0), T(20, 0), {"start_time"}),
    ],
)
def test_a_template_outside_its_periods_hours_is_refused(period, start, end, bad):
    template = ScheduleTemplate(
        doctor=DoctorFactory(), weekday=1, period=period, start_time=start, end_time=end
    )

    with pytest.raises(ValidationError) as excinfo:
        schedule_template_save(actor=ACTOR, template=template)

    assert set(excinfo.value.message_dict) == bad
    assert ScheduleTemplate.objects.exists() is False


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (Period.MORNING, T(6, 0), T(13, 0)),
        (Period.AFTERNOON, T(12, 0), T(18, 30)),
        (Period.EVENING, T(17, 0), T(21, 0)),
    ],
)
def test_a_template_at_the_edges_of_its_period_is_accepted(period, start, end):
    template = ScheduleTemplate(
        doctor=DoctorFactory(), weekday=1, period=period, start_time=start, end_time=end
    )

    schedule_template_save(actor=ACTOR, template=template)

    assert ScheduleTemplate.objects.count() == 1


def test_an_overlapping_active_template_is_refused_but_an_inactive_one_is_not():
    existing = ScheduleTemplateFactory(
        weekday=3, period=Period.MORNING, start_time=T(8), end_time=T(12, 30)
    )
    overlapping = ScheduleTemplate(
        doctor=existing.doctor,
        weekday=3,
        period=Period.AFTERNOON,
        start_time=T(12),
        end_time=T(16),
    )

    with pytest.raises(Conflict) as excinfo:
        schedule_template_save(actor=ACTOR, template=overlapping)
    overlapping.is_active = False
    schedule_template_save(actor=ACTOR, template=overlapping)

    assert excinfo.value.code == "template_overlaps"
    assert ScheduleTemplate.objects.filter(is_active=True).count() == 1
    assert OperationLog.objects.count() == 1


def test_an_overlapping_session_is_refused_unless_the_other_is_stopped(frozen):
    existing = ClinicSessionFactory(date=MONDAY + 2 * DAY, end_time=T(12, 30))
    kwargs = {
        "actor": ACTOR,
        "doctor": existing.doctor,
        "date": existing.date,
        "period": Period.AFTERNOON,
        "start_time": T(12),
        "end_time": T(14),
    }

    with pytest.raises(Conflict) as excinfo:
        session_create(**kwargs)
    ClinicSession.objects.filter(pk=existing.pk).update(
        status=ClinicSession.Status.STOPPED
    )
    session_create(**kwargs)

    assert excinfo.value.code == "session_overlaps"
    assert ClinicSession.objects.count() == 2


def test_moving_a_session_onto_another_of_the_doctor_is_refused_and_changes_nothing(
    frozen,
):
    morning = SlotFactory(session__end_time=T(12, 30)).session
    afternoon = ClinicSessionFactory(
        doctor=morning.doctor,
        date=morning.date,
        period=Period.AFTERNOON,
        start_time=T(14),
        end_time=T(17),
    )

    with pytest.raises(Conflict) as excinfo:
        session_update(
            actor=ACTOR,
            session=afternoon,
            start_time=T(12),
            end_time=T(17),
            fee=afternoon.fee,
            place=afternoon.place,
        )

    assert excinfo.value.code == "session_overlaps"
    afternoon.refresh_from_db()
    assert afternoon.start_time == T(14)


def test_generating_one_template_leaves_the_others_to_the_hourly_run(frozen):
    chosen = ScheduleTemplateFactory(weekday=2)
    other = ScheduleTemplateFactory(weekday=2)

    created = schedule_template_generate(templates=[chosen])
    again = schedule_template_generate(templates=[chosen])

    assert (created, again) == (1, 0)
    assert list(ClinicSession.objects.values_list("template", flat=True)) == [chosen.pk]
    assert other.sessions.exists() is False


def test_the_default_rule_is_created_once_and_an_edited_rule_is_kept():
    hospital = HospitalFactory()
    edited = BookingRuleFactory(window_days=14)

    created = booking_rule_create_default(hospital_id=hospital.pk)
    kept = booking_rule_create_default(hospital_id=edited.hospital_id)

    assert created.window_days == 7
    assert kept == edited
    assert BookingRule.objects.get(pk=edited.pk).window_days == 14
    assert BookingRule.objects.count() == 2


def test_generation_skips_a_date_where_an_open_session_overlaps(frozen):
    # given: an afternoon template from 12:00, and on its only Wednesday in the window
    # an extra morning session until 12:30
    template = ScheduleTemplateFactory(
        weekday=2, period=Period.AFTERNOON, start_time=T(12), end_time=T(16)
    )
    extra = ClinicSessionFactory(
        doctor=template.doctor,
        date=MONDAY + 2 * DAY,
        period=Period.MORNING,
        start_time=T(8),
        end_time=T(12, 30),
    )

    # when
    skipped = schedule_template_generate(templates=[template])
    ClinicSession.objects.filter(pk=extra.pk).update(
        status=ClinicSession.Status.STOPPED
    )
    created = schedule_template_generate(templates=[template])

    # then
    assert (skipped, created) == (0, 1)
    assert template.sessions.get().date == MONDAY + 2 * DAY
