"""The scheduling admin as a desk clerk uses it: yuan, local times, templates that generate,
periods and overlaps checked, slots and 加号 on the session page, date filters, roles,
Chinese words and no 保存 on pages that cannot change."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from appointments.services.stopping import session_stop
from common.models import OperationLog
from common.services import Actor
from hospitals.models import Hospital
from hospitals.services import hospital_create
from scheduling import services
from scheduling.models import BookingRule, ClinicSession, Period, ScheduleTemplate, Slot
from tests.hospitals.factories import (
    ConsultingRoomFactory,
    DoctorFactory,
    HospitalFactory,
)
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.factories import (
    BookingRuleFactory,
    ClinicSessionFactory,
    ScheduleTemplateFactory,
    SlotFactory,
)
from tests.scheduling.test_admin import _change, _changelist, _messages, _session_form

pytestmark = pytest.mark.django_db

User = get_user_model()
DAY = datetime.timedelta(days=1)


def _role_user(hospital, role) -> User:
    """A staff account with no permission of its own: the role brings them."""
    return User.objects.create_user(
        username=f"{role}{hospital.pk}", role=role, hospital=hospital, is_staff=True
    )


def _clerk(hospital) -> User:
    return _role_user(hospital, User.Role.HOSPITAL_STAFF)


def _template_form(doctor, **changes) -> dict:
    return {
        "doctor": doctor.pk,
        "weekday": 2,
        "period": Period.AFTERNOON,
        "start_time": "14:00",
        "end_time": "17:00",
        "slot_minutes": 30,
        "seats_per_slot": 6,
        "clinic_type": "general",
        "fee": "",
        "is_active": "on",
        "_save": "Save",
    } | changes


# -- 1. money in yuan ------------------------------------------------------------------------


def test_a_template_fee_is_typed_in_yuan_and_listed_in_yuan(client, frozen):
    # given
    doctor = DoctorFactory()
    client.force_login(_clerk(doctor.hospital))

    # when
    response = client.post(
        reverse("admin:scheduling_scheduletemplate_add"),
        _template_form(doctor, fee="50"),
    )
    listing = client.get(_changelist("scheduletemplate"))

    # then
    assert response.status_code == 302
    assert ScheduleTemplate.objects.get().fee == 5000
    assert "¥50.00" in listing.content.decode()


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        (
            "0.5",
            "0.5 yuan is implausibly small; the smallest accepted amount is 1 yuan.",
        ),
        (
            "5000",
            "5000 yuan is implausibly large; the largest accepted amount is 2000 yuan.",
        ),
    ],
)
def test_an_implausible_fee_is_refused_and_nothing_is_saved(
    client, frozen, typed, error
):
    doctor = DoctorFactory()
    client.force_login(_clerk(doctor.hospital))

    response = client.post(
        reverse("admin:scheduling_scheduletemplate_add"),
        _template_form(doctor, fee=typed),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["fee"] == [error]
    assert ScheduleTemplate.objects.exists() is False


def test_a_free_clinic_is_a_zero_fee(client, frozen):
    doctor = DoctorFactory()
    client.force_login(_clerk(doctor.hospital))

    client.post(
        reverse("admin:scheduling_scheduletemplate_add"),
        _template_form(doctor, fee="0"),
    )

    assert ScheduleTemplate.objects.get().fee == 0


def test_an_extra_session_fee_is_typed_in_yuan(client, frozen):
    doctor = DoctorFactory()
    client.force_login(_clerk(doctor.hospital))

    response = client.post(
        reverse("admin:scheduling_clinicsession_add"),
        {
            "doctor": doctor.pk,
            "date": "2026-03-12",
            "period": Period.EVENING,
            "start_time": "18:00",
            "end_time": "19:00",
            "fee": "35.5",
            "place": "",
            "clinic_type": "general",
            "slot_minutes": 30,
            "seats_per_slot": 3,
        },
    )

    assert response.status_code == 302
    assert ClinicSession.objects.get().fee == 3550


# -- 2. local times ---------------------------------------------------------------------------


def test_an_eight_oclock_slot_reads_eight_oclock_everywhere(client, frozen):
    # given: a slot at 08:00 Shanghai (00:00 UTC)
    slot = SlotFactory(capacity=5)
    session = slot.session
    assert slot.starts_at == at(session.date, 8)
    client.force_login(_clerk(session.hospital))
    day = session.date.isoformat()

    # when
    listing = client.get(_changelist("slot")).content.decode()
    page = client.get(_change("clinicsession", session.pk)).content.decode()
    added = client.post(
        _changelist("slot"),
        {"action": "add_seats", "_selected_action": [slot.pk], "seats": "1"},
        follow=True,
    )

    # then
    assert str(slot) == f"{day} 08:00-08:30 (0/5)"
    assert f"{day} 08:00" in listing
    assert "08:00-08:30" in page
    assert _messages(added) == [("success", f"{day} 08:00-08:30 (0/6): 1 seats added.")]
    assert str(session).endswith("08:00-12:00")


# -- 4. templates generate, periods and overlaps ----------------------------------------------


def test_saving_a_template_generates_its_sessions_for_the_booking_window(
    client, frozen
):
    # given: a 9-day window from Monday 2026-03-09 (sessions up to a day past it, the
    # 19th); Wednesdays are the 11th and 18th
    doctor = DoctorFactory()
    BookingRuleFactory(hospital=doctor.hospital, window_days=9)
    client.force_login(_clerk(doctor.hospital))

    # when
    response = client.post(
        reverse("admin:scheduling_scheduletemplate_add"),
        _template_form(doctor),
        follow=True,
    )

    # then
    dates = list(ClinicSession.objects.order_by("date").values_list("date", flat=True))
    assert dates == [MONDAY + 2 * DAY, MONDAY + 9 * DAY]
    assert ("success", "2 sessions generated for the booking window.") in _messages(
        response
    )


def test_the_generate_action_fills_in_missing_sessions_only(client, frozen):
    template = ScheduleTemplateFactory(weekday=2)
    BookingRuleFactory(hospital=template.doctor.hospital, window_days=9)
    client.force_login(_clerk(template.doctor.hospital))

    first = client.post(
        _changelist("scheduletemplate"),
        {"action": "generate_sessions", "_selected_action": [template.pk]},
        follow=True,
    )
    again = client.post(
        _changelist("scheduletemplate"),
        {"action": "generate_sessions", "_selected_action": [template.pk]},
        follow=True,
    )

    assert _messages(first) == [
        ("success", "2 sessions generated for the booking window.")
    ]
    assert _messages(again) == [
        ("info", "0 sessions generated for the booking window.")
    ]
    assert ClinicSession.objects.count() == 2


def test_a_morning_template_in_the_afternoon_is_refused_in_chinese(client, frozen):
    doctor = DoctorFactory()
    client.force_login(_clerk(doctor.hospital))

    with translation.override("zh-hans"):
        response = client.post(
            reverse("admin:scheduling_scheduletemplate_add"),
            _template_form(
                doctor, period=Period.MORNING, start_time="13:30", end_time="17:00"
            ),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

    errors = response.context["adminform"].form.errors
    assert errors["start_time"] == ["上午出诊的开始时间须在 06:00 至 13:00 之间。"]
    assert errors["end_time"] == [
        "上午出诊的结束时间须在 06:00 之后、13:00 之前（含）。"
    ]
    assert ScheduleTemplate.objects.exists() is False


def test_an_overlapping_template_of_the_same_doctor_is_refused(client, frozen):
    existing = ScheduleTemplateFactory(
        weekday=2,
        period=Period.MORNING,
        start_time=datetime.time(8, 0),
        end_time=datetime.time(12, 30),
    )
    client.force_login(_clerk(existing.doctor.hospital))

    response = client.post(
        reverse("admin:scheduling_scheduletemplate_add"),
        _template_form(existing.doctor, start_time="12:00", end_time="16:00"),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "The doctor already has an active weekly clinic at 08:00-12:30 on this weekday."
    ]
    assert ScheduleTemplate.objects.count() == 1


def test_an_overlapping_extra_session_of_the_same_doctor_is_refused(client, frozen):
    existing = ClinicSessionFactory(
        period=Period.AFTERNOON,
        start_time=datetime.time(13, 0),
        end_time=datetime.time(17, 30),
    )
    client.force_login(_clerk(existing.hospital))

    form = {
        "doctor": existing.doctor_id,
        "date": existing.date.isoformat(),
        "period": Period.EVENING,
        "end_time": "19:00",
        "fee": "",
        "place": "",
        "clinic_type": "general",
        "slot_minutes": 30,
        "seats_per_slot": 3,
    }

    overlapping = client.post(
        reverse("admin:scheduling_clinicsession_add"), form | {"start_time": "17:00"}
    )
    back_to_back = client.post(
        reverse("admin:scheduling_clinicsession_add"), form | {"start_time": "17:30"}
    )

    assert overlapping.status_code == 200
    assert overlapping.context["adminform"].form.non_field_errors() == [
        "The doctor already has a session at 13:00-17:30 on that date."
    ]
    assert back_to_back.status_code == 302
    assert ClinicSession.objects.count() == 2


@pytest.mark.parametrize("model", ["scheduletemplate", "clinicsession"])
def test_doctor_choices_cost_no_query_per_doctor_and_lists_show_the_department(
    client, frozen, model
):
    hospital = HospitalFactory()
    client.force_login(_clerk(hospital))
    url = reverse(f"admin:scheduling_{model}_add")

    def queries_with(doctors: int) -> int:
        DoctorFactory.create_batch(doctors, hospital=hospital)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries_with(1) == queries_with(5)
    template = ScheduleTemplateFactory(doctor__hospital=hospital)
    session = ClinicSessionFactory(doctor=template.doctor)
    listing = client.get(_changelist(model)).content.decode()
    assert session.doctor.department.name in listing


@pytest.mark.parametrize("model", ["clinicsession", "slot", "scheduletemplate"])
def test_lists_cost_no_query_per_row(client, frozen, model):
    hospital = HospitalFactory()
    client.force_login(_clerk(hospital))

    def queries_with(rows: int) -> int:
        for _ in range(rows):
            slot = SlotFactory(session__doctor__hospital=hospital)
            ScheduleTemplateFactory(doctor=slot.session.doctor)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_changelist(model)).status_code == 200
        return len(captured)

    assert queries_with(1) == queries_with(4)


@pytest.mark.parametrize(
    ("choice", "offsets"),
    [("today", [0]), ("tomorrow", [1]), ("next7", [0, 1, 6]), ("past7", [-7, -1])],
)
def test_sessions_and_slots_filter_by_local_day(client, frozen, choice, offsets):
    # given: frozen at Monday 07:00 Shanghai, still Sunday in UTC
    hospital = HospitalFactory()
    for offset in (-8, -7, -1, 0, 1, 6, 7):
        SlotFactory(
            session__doctor__hospital=hospital,
            session__date=MONDAY + offset * DAY,
            session__period=Period.EVENING,
            session__start_time=datetime.time(18, 0),
            session__end_time=datetime.time(20, 0),
        )
    client.force_login(_clerk(hospital))

    sessions = client.get(_changelist("clinicsession"), {"day": choice})
    slots = client.get(_changelist("slot"), {"day": choice})

    expected = [MONDAY + offset * DAY for offset in offsets]
    assert [s.date for s in sessions.context["cl"].result_list] == expected
    assert [s.session.date for s in slots.context["cl"].result_list] == expected


def test_staff_add_slots_on_the_session_page(client, frozen):
    slot = SlotFactory(capacity=5)
    session = slot.session
    client.force_login(_clerk(session.hospital))

    response = client.post(
        _change("clinicsession", session.pk),
        _session_form(session, new_slots=[("12:00", "12:30", 2)]),
    )

    assert response.status_code == 302
    extra = Slot.objects.exclude(pk=slot.pk).get()
    assert (extra.starts_at, extra.ends_at, extra.capacity, extra.queue_start) == (
        at(session.date, 12),
        at(session.date, 12, 30),
        2,
        6,
    )
    assert OperationLog.objects.filter(action="session_add_slot").count() == 1


def test_an_overlapping_slot_on_the_session_page_shows_the_refusal(client, frozen):
    slot = SlotFactory()
    session = slot.session
    client.force_login(_clerk(session.hospital))

    response = client.post(
        _change("clinicsession", session.pk),
        _session_form(session, new_slots=[("08:15", "08:45", 2)]),
    )

    assert response.status_code == 200
    [formset] = [
        f
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "slots-2"
    ]
    assert formset.formset.errors == [
        {"__all__": ["The slot overlaps another time slot."]}
    ]
    assert Slot.objects.count() == 1


def test_staff_add_seats_on_the_session_page(client, frozen):
    slot = SlotFactory(capacity=5)
    session = slot.session
    client.force_login(_clerk(session.hospital))
    url = reverse("admin:scheduling_clinicsession_add_seats", args=[session.pk])

    page = client.get(_change("clinicsession", session.pk)).content.decode()
    response = client.post(url, {"slot": slot.pk, "seats": 3}, follow=True)

    assert url in page
    slot.refresh_from_db()
    assert slot.capacity == 8
    assert _messages(response) == [("success", f"{slot}: 3 seats added.")]


def test_staff_cannot_add_seats_to_another_hospitals_session(client, frozen):
    other = SlotFactory(capacity=5)
    client.force_login(_clerk(HospitalFactory()))

    response = client.post(
        reverse("admin:scheduling_clinicsession_add_seats", args=[other.session_id]),
        {"slot": other.pk, "seats": 3},
    )

    assert response.status_code == 403
    other.refresh_from_db()
    assert other.capacity == 5


# -- 5. a new hospital gets its booking rule ----------------------------------------------------


def test_a_new_hospital_gets_its_default_booking_rule():
    hospital = hospital_create(
        actor=Actor.system(),
        name="新院区",
        level=Hospital._meta.get_field("level").choices[0][0],
        region="北京",
        address="长安街 1 号",
        phone="010-12345678",
    )

    rule = BookingRule.objects.get(hospital=hospital)
    assert (rule.window_days, rule.hold_minutes) == (7, 15)


def test_the_default_rule_is_created_once():
    from scheduling.services import booking_rule_create_default

    rule = BookingRuleFactory(window_days=14)

    again = booking_rule_create_default(hospital_id=rule.hospital_id)

    assert again == rule
    assert BookingRule.objects.get().window_days == 14


# -- 6. roles and words ------------------------------------------------------------------------


def test_staff_role_brings_the_scheduling_permissions(client, frozen):
    slot = SlotFactory()
    client.force_login(_clerk(slot.session.hospital))

    for model in ("bookingrule", "scheduletemplate", "clinicsession", "slot"):
        assert client.get(_changelist(model)).status_code == 200
    assert client.get(reverse("admin:scheduling_clinicsession_add")).status_code == 200


def test_a_doctor_views_the_schedule_and_cannot_change_it(client, frozen):
    slot = SlotFactory()
    session = slot.session
    client.force_login(_role_user(session.hospital, User.Role.DOCTOR))

    page = client.get(_change("clinicsession", session.pk))
    post = client.post(
        _change("clinicsession", session.pk), _session_form(session, fee="1")
    )

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert post.status_code == 403
    assert client.get(reverse("admin:scheduling_clinicsession_add")).status_code == 403
    assert client.get(_changelist("bookingrule")).status_code == 403


def _english_left(html: str) -> list[str]:
    """Column headers, filter titles and choices, and actions still in Latin letters."""
    table = re.search(r'<table id="result_list">.*?</thead>', html, re.S).group(0)
    headers = re.findall(r"<(?:a|span)[^>]*>([^<]+)<", table)
    side = re.search(r'<nav id="changelist-filter".*?</nav>', html, re.S)
    filters = re.findall(r">\s*([^<>]*?)\s*<", side.group(0)) if side else []
    actions = re.findall(r'<option value="\w+">([^<]*)</option>', html)
    return [t for t in headers + filters + actions if re.search(r"[A-Za-z]", t)]


@pytest.mark.parametrize(
    "model", ["bookingrule", "scheduletemplate", "clinicsession", "slot"]
)
def test_the_chinese_admin_has_no_english_column_or_filter(client, frozen, model):
    SlotFactory(session__doctor__hospital=BookingRuleFactory().hospital)
    ScheduleTemplateFactory()
    client.force_login(User.objects.create_superuser(username="root", password="x"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"

    with translation.override("zh-hans"):
        html = client.get(_changelist(model)).content.decode()
        index = client.get(reverse("admin:index")).content.decode()

    assert _english_left(html) == []
    assert "排班" in index


# -- 7. no 保存 where nothing can change ---------------------------------------------------------


def test_a_slot_page_is_a_view_without_save(client, frozen):
    slot = SlotFactory()
    client.force_login(_clerk(slot.session.hospital))

    page = client.get(_change("slot", slot.pk))

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_a_stopped_session_page_is_a_view_without_save(client, frozen):
    session = SlotFactory(
        session__status=ClinicSession.Status.STOPPED, session__stop_reason="出差"
    ).session
    client.force_login(_clerk(session.hospital))

    page = client.get(_change("clinicsession", session.pk))

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert "add_seats" not in html
    assert "¥20.00" in html


# -- history ---------------------------------------------------------------------------------


def test_a_sessions_history_page_shows_its_stop_and_its_added_seats_readably(
    client, frozen
):
    # given
    slot = SlotFactory(capacity=2)
    session = slot.session
    clerk = _clerk(session.hospital)
    services.slot_add_seats(actor=Actor.system(), slot=slot, seats=1)
    session_stop(actor=Actor.system(), session=session, reason="doctor ill")
    client.force_login(clerk)

    # when
    with translation.override("zh-hans"):
        response = client.get(
            reverse("admin:scheduling_clinicsession_history", args=[session.pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

    # then
    assert response.status_code == 200
    actions = [entry.row.action for entry in response.context["action_list"]]
    assert actions[:2] == ["session.stop", "slot_add_seats"]
    html = response.content.decode()
    assert "停诊" in html
    assert "时段加号" in html
    assert "slot_add_seats" not in html


# -- consulting rooms and clinic types ------------------------------------------------------


def _extra_session_form(doctor, day, **changes) -> dict:
    return {
        "doctor": doctor.pk,
        "date": day.isoformat(),
        "period": Period.MORNING,
        "start_time": "08:00",
        "end_time": "11:00",
        "fee": "",
        "place": "",
        "clinic_type": "expert",
        "room": "",
        "slot_minutes": 30,
        "seats_per_slot": 3,
    } | changes


def test_an_extra_session_in_a_taken_room_is_refused_in_the_form(client, frozen):
    # given: 内科 room 3 is held on Wednesday 08:00-11:00 by another doctor
    room = ConsultingRoomFactory()
    holder = ClinicSessionFactory(
        doctor=DoctorFactory(department=room.department),
        date=MONDAY + datetime.timedelta(days=2),
        room=room,
        start_time=datetime.time(8),
        end_time=datetime.time(11),
    )
    doctor = DoctorFactory(department=room.department)
    client.force_login(_clerk(room.hospital))
    url = reverse("admin:scheduling_clinicsession_add")

    # when
    taken = client.post(url, _extra_session_form(doctor, holder.date, room=room.pk))
    free = client.post(
        url,
        _extra_session_form(
            doctor, holder.date, room=room.pk, start_time="11:00", end_time="12:30"
        ),
    )

    # then
    assert taken.status_code == 200
    assert taken.context["adminform"].form.non_field_errors() == [
        f"The consulting room {room} is taken by {holder.doctor.name} at "
        "08:00-11:00 on that date."
    ]
    assert free.status_code == 302
    session = ClinicSession.objects.exclude(pk=holder.pk).get()
    assert (session.room_id, session.clinic_type) == (room.pk, "expert")


def test_the_room_picker_offers_only_the_staff_hospitals_rooms(client, frozen):
    own = ConsultingRoomFactory()
    ConsultingRoomFactory()  # another hospital's
    client.force_login(_clerk(own.hospital))

    page = client.get(reverse("admin:scheduling_clinicsession_add"))

    choices = page.context["adminform"].form.fields["room"].queryset
    assert list(choices) == [own]
    assert f"{own.department.name} · {own}" in page.content.decode()


def test_a_template_in_a_room_another_weekly_clinic_holds_is_refused(client, frozen):
    room = ConsultingRoomFactory()
    ScheduleTemplateFactory(
        doctor=DoctorFactory(department=room.department),
        weekday=2,
        period=Period.AFTERNOON,
        start_time=datetime.time(14),
        end_time=datetime.time(17),
        room=room,
    )
    doctor = DoctorFactory(department=room.department)
    client.force_login(_clerk(room.hospital))

    response = client.post(
        reverse("admin:scheduling_scheduletemplate_add"),
        _template_form(doctor, room=room.pk),
    )

    assert response.status_code == 200
    assert "is taken by the weekly clinic of" in str(
        response.context["adminform"].form.non_field_errors()
    )
    assert ScheduleTemplate.objects.filter(doctor=doctor).exists() is False
