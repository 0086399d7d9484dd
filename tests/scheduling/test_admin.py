"""Staff screens: scoped to the staff member's hospital, every change through the services."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from appointments.models import Appointment
from appointments.services import appointment_book
from billing.services import payment_order_dev_pay
from common.models import OperationLog
from common.money import fen_to_yuan
from common.services import Actor
from scheduling.models import BookingRule, ClinicSession, Period, ScheduleTemplate, Slot
from tests.appointments.factories import PatientProfileFactory
from tests.billing.factories import open_order
from tests.hospitals.factories import DoctorFactory, HospitalFactory
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.factories import (
    BookingRuleFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
DAY = datetime.timedelta(days=1)


def _staff(hospital) -> User:
    user = User.objects.create_user(
        username=f"staff{hospital.pk}",
        role=User.Role.HOSPITAL_STAFF,
        hospital=hospital,
        is_staff=True,
    )
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="scheduling")
    )
    return user


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser(username="root", password="x")


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m.message)) for m in get_messages(response.wsgi_request)]


def _changelist(model: str) -> str:
    return reverse(f"admin:scheduling_{model}_changelist")


def _change(model: str, pk: int) -> str:
    return reverse(f"admin:scheduling_{model}_change", args=[pk])


def _session_form(session: ClinicSession, new_slots=(), **changes) -> dict:
    """The change form's POST: the editable fields (fee in yuan), the read-only slot
    inline and the inline of extra slots, `new_slots` as (start, end, seats)."""
    slots = list(session.slots.order_by("starts_at", "id"))
    data = {
        "start_time": session.start_time.strftime("%H:%M"),
        "end_time": session.end_time.strftime("%H:%M"),
        "fee": fen_to_yuan(session.fee),
        "place": session.place,
        "clinic_type": "general",
        "slots-TOTAL_FORMS": len(slots),
        "slots-INITIAL_FORMS": len(slots),
        "slots-MIN_NUM_FORMS": 0,
        "slots-MAX_NUM_FORMS": 1000,
        "slots-2-TOTAL_FORMS": max(1, len(new_slots)),
        "slots-2-INITIAL_FORMS": 0,
        "slots-2-MIN_NUM_FORMS": 0,
        "slots-2-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    for i, slot in enumerate(slots):
        data[f"slots-{i}-id"] = slot.pk
        data[f"slots-{i}-session"] = session.pk
    for i, (start, end, seats) in enumerate(new_slots):
        data |= {
            f"slots-2-{i}-start": start,
            f"slots-2-{i}-end": end,
            f"slots-2-{i}-seats": seats,
            f"slots-2-{i}-session": session.pk,
        }
    return data | changes


# -- scoping ------------------------------------------------------------------------------


def test_staff_list_only_their_hospitals_sessions_with_booked_over_capacity(
    client, frozen
):
    # given
    own = SlotFactory(capacity=5, booked=2)
    SlotFactory(session=own.session, capacity=5, booked=1)
    other = SlotFactory()
    client.force_login(_staff(own.session.hospital))

    # when
    response = client.get(_changelist("clinicsession"))

    # then
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows == [own.session]
    assert response.context["cl"].model_admin.booked_of_capacity(rows[0]) == "3/10"
    assert other.session not in rows


def test_staff_cannot_open_another_hospitals_session(client, frozen):
    other = SlotFactory()
    client.force_login(_staff(HospitalFactory()))

    response = client.get(_change("clinicsession", other.session_id))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_staff_cannot_edit_another_hospitals_session_and_nothing_changes(
    client, frozen
):
    other = SlotFactory()
    client.force_login(_staff(HospitalFactory()))

    response = client.post(
        _change("clinicsession", other.session_id), _session_form(other.session, fee=1)
    )

    assert response.status_code == 302
    other.session.refresh_from_db()
    assert other.session.fee == 2000
    assert OperationLog.objects.exists() is False


def test_session_list_filters_by_date_and_hospital(client, frozen, superuser):
    wednesday = SlotFactory(session__date=MONDAY + 2 * DAY).session
    thursday = SlotFactory(session__date=MONDAY + 3 * DAY).session
    client.force_login(superuser)

    by_date = client.get(_changelist("clinicsession"), {"date": "2026-03-12"})
    by_hospital = client.get(
        _changelist("clinicsession"), {"hospital__id__exact": wednesday.hospital_id}
    )

    assert list(by_date.context["cl"].result_list) == [thursday]
    assert list(by_hospital.context["cl"].result_list) == [wednesday]


def test_the_hospital_filter_lists_every_hospital_for_superusers_and_none_for_staff(
    client, frozen, superuser
):
    own = SlotFactory().session
    other = SlotFactory().session

    def hospital_choices(user) -> list[int] | None:
        client.force_login(user)
        response = client.get(_changelist("clinicsession"))
        specs = response.context["cl"].filter_specs
        spec = next(
            (f for f in specs if getattr(f, "field_path", None) == "hospital"), None
        )
        return None if spec is None else [pk for pk, _name in spec.lookup_choices]

    assert sorted(hospital_choices(superuser)) == sorted(
        [own.hospital_id, other.hospital_id]
    )
    # one hospital in scope: the filter would offer one choice, so it is not shown
    assert hospital_choices(_staff(own.hospital)) is None


def test_staff_see_only_their_hospitals_rules_templates_and_slots(client, frozen):
    own_rule, other_rule = BookingRuleFactory(), BookingRuleFactory()
    own_slot = SlotFactory(session__doctor__hospital=own_rule.hospital)
    SlotFactory(session__doctor__hospital=other_rule.hospital)
    client.force_login(_staff(own_rule.hospital))

    rules = client.get(_changelist("bookingrule")).context["cl"].result_list
    slots = client.get(_changelist("slot")).context["cl"].result_list

    assert list(rules) == [own_rule]
    assert list(slots) == [own_slot]


# -- stop (停诊) -----------------------------------------------------------------------------


def _stop(client, sessions, **extra):
    return client.post(
        _changelist("clinicsession"),
        {"action": "stop_sessions", "_selected_action": [s.pk for s in sessions]}
        | extra,
        follow=True,
    )


def _paid_booking(settings, fee: int):
    settings.PAYMENTS_DEV_GATEWAY = True
    order = open_order(fee=fee)
    payment_order_dev_pay(order=order, actor=Actor.system())
    return order.appointment


def test_stopping_first_shows_each_session_and_who_is_affected_and_changes_nothing(
    client, frozen, settings
):
    # given: a session with a paid booking and an unpaid one, and an empty session
    paid = _paid_booking(settings, fee=1500)
    busy = paid.session
    profile = PatientProfileFactory()
    appointment_book(
        actor=Actor.system(), user=profile.user, profile=profile, slot=paid.slot
    )
    empty = SlotFactory(session__doctor__hospital=busy.hospital).session
    client.force_login(_staff(busy.hospital))

    # when
    response = _stop(client, [busy, empty])

    # then
    assert response.status_code == 200
    assert (
        response.templates[0].name
        == "admin/scheduling/clinicsession/stop_confirmation.html"
    )
    assert response.context["rows"] == [(busy, 2, 1), (empty, 0, 0)]
    page = response.content.decode()
    assert busy.doctor.name in page
    assert busy.date.isoformat() in page
    assert "In all: 2 patients affected, 1 paid bookings will be refunded." in page
    assert 'name="confirm"' in page
    assert 'name="reason"' in page
    assert set(ClinicSession.objects.values_list("status", flat=True)) == {"open"}
    assert Appointment.objects.filter(status=Appointment.Status.CANCELLED).count() == 0


def test_confirming_stops_cancels_refunds_and_reports_the_totals(
    client, frozen, settings
):
    # given
    paid = _paid_booking(settings, fee=1500)
    session = paid.session
    profile = PatientProfileFactory()
    appointment_book(
        actor=Actor.system(), user=profile.user, profile=profile, slot=paid.slot
    )
    client.force_login(_staff(session.hospital))

    # when
    response = _stop(client, [session], reason="医生外出会诊", confirm="Yes")

    # then
    session.refresh_from_db()
    assert session.status == ClinicSession.Status.STOPPED
    assert session.stop_reason == "医生外出会诊"
    assert set(Appointment.objects.values_list("status", flat=True)) == {
        Appointment.Status.CANCELLED
    }
    assert _messages(response) == [
        (
            "success",
            "1 session stopped; 2 appointments cancelled; 1 refund requested (¥15.00)",
        )
    ]


def test_confirming_without_a_reason_asks_again_and_changes_nothing(client, frozen):
    session = SlotFactory().session
    client.force_login(_staff(session.hospital))

    response = _stop(client, [session], reason=" ", confirm="Yes")

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    session.refresh_from_db()
    assert session.status == ClinicSession.Status.OPEN
    assert _messages(response) == []


def test_stopping_a_stopped_session_reports_the_refusal(client, frozen):
    session = SlotFactory(
        session__status=ClinicSession.Status.STOPPED, session__stop_reason="旧原因"
    ).session
    client.force_login(_staff(session.hospital))

    response = _stop(client, [session], reason="新原因", confirm="Yes")

    session.refresh_from_db()
    assert session.stop_reason == "旧原因"
    [(level, message)] = _messages(response)
    assert level == "error"
    assert message.startswith(f"{session}: ")


def test_the_stop_confirmation_reads_in_chinese(client, frozen):
    session = SlotFactory().session
    client.force_login(_staff(session.hospital))

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    with translation.override("zh-hans"):
        response = _stop(client, [session])

    page = response.content.decode()
    assert "停诊" in page
    assert "Stop" not in page
    assert "Patients affected" not in page


# -- session edits --------------------------------------------------------------------------


def test_editing_a_session_goes_through_the_service(client, frozen):
    slot = SlotFactory()
    session = slot.session
    client.force_login(_staff(session.hospital))

    response = client.post(
        _change("clinicsession", session.pk),
        _session_form(session, fee="15", place="门诊楼 2 层"),
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.fee, session.place) == (1500, "门诊楼 2 层")
    assert (
        OperationLog.objects.filter(
            action="session_update", object_id=str(session.pk)
        ).count()
        == 1
    )


def test_a_booked_sessions_times_and_fee_are_read_only_and_a_post_changes_nothing(
    client, frozen
):
    slot = SlotFactory(booked=1)
    session = slot.session
    client.force_login(_staff(session.hospital))

    page = client.get(_change("clinicsession", session.pk))
    response = client.post(
        _change("clinicsession", session.pk), _session_form(session, fee="1")
    )

    assert page.context["adminform"].form.fields == {}
    assert "¥20.00" in page.content.decode()
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.fee == 2000
    assert OperationLog.objects.exists() is False


def test_staff_add_an_extra_session_split_into_slots(client, frozen):
    doctor = DoctorFactory(fee=2600)
    client.force_login(_staff(doctor.hospital))

    response = client.post(
        reverse("admin:scheduling_clinicsession_add"),
        {
            "doctor": doctor.pk,
            "date": "2026-03-12",
            "period": Period.EVENING,
            "start_time": "18:00",
            "end_time": "19:00",
            "fee": "",
            "place": "",
            "clinic_type": "general",
            "slot_minutes": 30,
            "seats_per_slot": 3,
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    session = ClinicSession.objects.get()
    assert (session.date, session.fee, session.hospital_id) == (
        datetime.date(2026, 3, 12),
        2600,
        doctor.hospital_id,
    )
    assert list(session.slots.values_list("capacity", "queue_start")) == [
        (3, 1),
        (3, 4),
    ]
    assert OperationLog.objects.filter(action="session_create").count() == 1


def test_staff_cannot_add_a_session_for_another_hospitals_doctor(client, frozen):
    other = DoctorFactory()
    client.force_login(_staff(HospitalFactory()))

    response = client.post(
        reverse("admin:scheduling_clinicsession_add"),
        {
            "doctor": other.pk,
            "date": "2026-03-12",
            "period": Period.EVENING,
            "start_time": "18:00",
            "end_time": "19:00",
            "slot_minutes": 30,
            "seats_per_slot": 3,
        },
    )

    assert response.status_code == 200
    assert "doctor" in response.context["adminform"].form.errors
    assert ClinicSession.objects.exists() is False


# -- slots ---------------------------------------------------------------------------------


def test_adding_seats_from_the_slot_list(client, frozen):
    slot = SlotFactory(capacity=5)
    client.force_login(_staff(slot.session.hospital))

    response = client.post(
        _changelist("slot"),
        {"action": "add_seats", "_selected_action": [slot.pk], "seats": "2"},
        follow=True,
    )

    slot.refresh_from_db()
    assert slot.capacity == 7
    assert _messages(response) == [("success", f"{slot}: 2 seats added.")]
    assert OperationLog.objects.filter(action="slot_add_seats").count() == 1


@pytest.mark.parametrize("seats", ["", "0", "abc", "501"])
def test_adding_a_bad_number_of_seats_is_refused(client, frozen, seats):
    slot = SlotFactory(capacity=5)
    client.force_login(_staff(slot.session.hospital))

    response = client.post(
        _changelist("slot"),
        {"action": "add_seats", "_selected_action": [slot.pk], "seats": seats},
        follow=True,
    )

    slot.refresh_from_db()
    assert slot.capacity == 5
    assert _messages(response) == [
        ("error", "Enter how many seats to add, between 1 and 500.")
    ]


def test_staff_add_an_extra_slot_to_a_session(client, frozen):
    slot = SlotFactory(capacity=5)
    session = slot.session
    client.force_login(_staff(session.hospital))

    response = client.post(
        reverse("admin:scheduling_slot_add"),
        {
            "session": session.pk,
            "starts_at_0": session.date.isoformat(),
            "starts_at_1": "12:00",
            "ends_at_0": session.date.isoformat(),
            "ends_at_1": "12:30",
            "capacity": 2,
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    extra = Slot.objects.exclude(pk=slot.pk).get()
    assert (extra.starts_at, extra.capacity, extra.queue_start) == (
        at(session.date, 12),
        2,
        6,
    )


def test_an_overlapping_extra_slot_shows_the_refusal(client, frozen):
    slot = SlotFactory()
    session = slot.session
    client.force_login(_staff(session.hospital))

    response = client.post(
        reverse("admin:scheduling_slot_add"),
        {
            "session": session.pk,
            "starts_at_0": session.date.isoformat(),
            "starts_at_1": "08:15",
            "ends_at_0": session.date.isoformat(),
            "ends_at_1": "08:45",
            "capacity": 2,
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "The slot overlaps another time slot."
    ]
    assert Slot.objects.count() == 1


def test_staff_cannot_add_a_slot_to_another_hospitals_session(client, frozen):
    other = SlotFactory()
    client.force_login(_staff(HospitalFactory()))

    response = client.post(
        reverse("admin:scheduling_slot_add"),
        {
            "session": other.session_id,
            "starts_at_0": other.session.date.isoformat(),
            "starts_at_1": "12:00",
            "ends_at_0": other.session.date.isoformat(),
            "ends_at_1": "12:30",
            "capacity": 2,
        },
    )

    assert response.status_code == 200
    assert "session" in response.context["adminform"].form.errors
    assert Slot.objects.count() == 1


# -- rules and templates -----------------------------------------------------------------------


def _rule_form(rule: BookingRule, **changes) -> dict:
    data = {
        "window_days": rule.window_days,
        "release_time": rule.release_time.strftime("%H:%M"),
        "cutoff_mode": rule.cutoff_mode,
        "cutoff_minutes": rule.cutoff_minutes,
        "cutoff_time": rule.cutoff_time.strftime("%H:%M"),
        "cancel_deadline_minutes": rule.cancel_deadline_minutes,
        "hold_minutes": rule.hold_minutes,
        "checkin_open_minutes": rule.checkin_open_minutes,
        "max_active_per_day": rule.max_active_per_day,
        "max_active_per_week": rule.max_active_per_week,
        "reminder_evening_time": rule.reminder_evening_time.strftime("%H:%M"),
        "reminder_hours_before": rule.reminder_hours_before,
        "noshow_confirm_hours_before": rule.noshow_confirm_hours_before,
        "_save": "Save",
    }
    # Checkboxes: an unticked box is not posted at all.
    for box in ("noshow_high_risk_contact", "noshow_release_unconfirmed"):
        if getattr(rule, box):
            data[box] = "on"
    return data | changes


def test_staff_edit_their_booking_rule(client, frozen):
    rule = BookingRuleFactory()
    client.force_login(_staff(rule.hospital))

    response = client.post(
        _change("bookingrule", rule.pk),
        _rule_form(rule, window_days=14, reminder_hours_before=3),
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.window_days == 14
    assert rule.reminder_hours_before == 3
    assert OperationLog.objects.filter(action="booking_rule_update").count() == 1


def test_staff_switch_on_the_release_of_unconfirmed_high_risk_bookings(client, frozen):
    # given: off by default, the confirm request and extra reminder on
    rule = BookingRuleFactory()
    assert (rule.noshow_release_unconfirmed, rule.noshow_high_risk_contact) == (
        False,
        True,
    )
    client.force_login(_staff(rule.hospital))

    # when
    response = client.post(
        _change("bookingrule", rule.pk),
        _rule_form(
            rule, noshow_release_unconfirmed="on", noshow_confirm_hours_before=36
        ),
    )

    # then
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.noshow_release_unconfirmed is True
    assert rule.noshow_high_risk_contact is True
    assert rule.noshow_confirm_hours_before == 36


def test_a_confirm_deadline_out_of_range_is_refused(client, frozen):
    rule = BookingRuleFactory()
    client.force_login(_staff(rule.hospital))

    response = client.post(
        _change("bookingrule", rule.pk),
        _rule_form(rule, noshow_confirm_hours_before=0),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "noshow_confirm_hours_before": [
            "Ensure this value is greater than or equal to 1."
        ]
    }
    rule.refresh_from_db()
    assert rule.noshow_confirm_hours_before == 24


def test_an_out_of_range_rule_shows_the_error_and_changes_nothing(client, frozen):
    rule = BookingRuleFactory()
    client.force_login(_staff(rule.hospital))

    response = client.post(
        _change("bookingrule", rule.pk), _rule_form(rule, window_days=31)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["window_days"] == [
        "Must be between 1 and 30."
    ]
    rule.refresh_from_db()
    assert rule.window_days == 7


def test_staff_add_a_weekly_template_only_for_their_doctors(client, frozen):
    own, other = DoctorFactory(), DoctorFactory()
    client.force_login(_staff(own.hospital))
    form = {
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
    }

    refused = client.post(
        reverse("admin:scheduling_scheduletemplate_add"), form | {"doctor": other.pk}
    )
    added = client.post(
        reverse("admin:scheduling_scheduletemplate_add"), form | {"doctor": own.pk}
    )

    assert refused.status_code == 200
    assert "doctor" in refused.context["adminform"].form.errors
    assert added.status_code == 302
    template = ScheduleTemplate.objects.get()
    assert (template.doctor, template.seats_per_slot, template.fee) == (own, 6, None)
    assert OperationLog.objects.filter(action="schedule_template_create").count() == 1
