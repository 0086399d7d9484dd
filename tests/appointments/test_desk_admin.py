"""The clinic desk's appointment admin, as a hospital clerk uses it (role permissions only)."""

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from appointments.models import Appointment
from appointments.services import appointment_book, appointment_check_in
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import make_id_card_no, make_phone
from tests.appointments.factories import PatientProfileFactory, PatientUserFactory
from tests.scheduling.factories import SlotFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:appointments_appointment_changelist"


def clerk_of(hospital, username="clerk") -> User:
    """A hospital staff account with no permission of its own: the role brings them."""
    return User.objects.create_user(
        username=username,
        password="x",
        role=User.Role.HOSPITAL_STAFF,
        hospital=hospital,
        is_staff=True,
    )


def booked(slot, **profile_fields) -> Appointment:
    profile = PatientProfileFactory(**profile_fields)
    return appointment_book(
        actor=Actor.system(), user=profile.user, profile=profile, slot=slot
    )


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m.message)) for m in get_messages(response.wsgi_request)]


def visit_day(appointment: Appointment):
    """Travel to five minutes into the appointment's time slot."""
    return time_machine.travel(
        appointment.visit_starts_at + datetime.timedelta(minutes=5), tick=False
    )


def found(client, term: str) -> list[Appointment]:
    response = client.get(reverse(CHANGELIST), {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].queryset)


# -- one-click check-in ------------------------------------------------------------------


def test_the_check_in_button_checks_the_patient_in_and_names_them(client):
    # given
    appointment = booked(SlotFactory(session__fee=0), name="张三")
    url = reverse("admin:appointments_appointment_check_in", args=[appointment.pk])

    # when (the clerk signs in that day: an admin session lasts 8 hours at most)
    with visit_day(appointment):
        client.force_login(clerk_of(appointment.hospital))
        listing = client.get(reverse(CHANGELIST))
        response = client.post(url, HTTP_REFERER="http://testserver/admin/x/?q=1")

    # then
    appointment.refresh_from_db()
    assert url in listing.content.decode()  # a button on the patient's row
    assert url not in client.get(reverse(CHANGELIST)).content.decode()  # not today
    assert appointment.status == Appointment.Status.CHECKED_IN
    assert response.status_code == 302
    assert response.url == "http://testserver/admin/x/?q=1"  # back to the same list
    assert messages_of(response) == [
        ("success", f"张三 (No. {appointment.queue_no}) checked in.")
    ]
    assert OperationLog.objects.filter(
        action="appointment.checked_in", object_id=str(appointment.pk)
    ).exists()


def test_a_refused_check_in_names_the_patient_and_changes_nothing(client):
    # given: two days before the visit
    appointment = booked(SlotFactory(session__fee=0), name="李四")
    client.force_login(clerk_of(appointment.hospital))

    # when
    response = client.post(
        reverse("admin:appointments_appointment_check_in", args=[appointment.pk])
    )

    # then
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert response.url == reverse(CHANGELIST)
    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith(f"李四 (No. {appointment.queue_no}): ")
    assert appointment.order_no not in text


def test_the_check_in_view_refuses_get_and_another_hospitals_patient(client):
    # given
    ours = booked(SlotFactory(session__fee=0))
    theirs = booked(SlotFactory(session__fee=0))

    # when
    with visit_day(theirs):
        client.force_login(clerk_of(ours.hospital))
        by_get = client.get(
            reverse("admin:appointments_appointment_check_in", args=[ours.pk])
        )
        foreign = client.post(
            reverse("admin:appointments_appointment_check_in", args=[theirs.pk])
        )

    # then
    assert by_get.status_code == 405
    assert foreign.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Appointment.Status.BOOKED


def test_the_check_in_action_names_each_refused_patient(client):
    # given
    appointment = booked(SlotFactory(session__fee=0), name="王五")
    client.force_login(clerk_of(appointment.hospital))

    # when
    response = client.post(
        reverse(CHANGELIST),
        {"action": "check_in", "_selected_action": [appointment.pk]},
    )

    # then
    assert messages_of(response) == [
        (
            "error",
            f"王五 (No. {appointment.queue_no}): "
            "Check-in is only possible on the day of the visit.",
        )
    ]


# -- finding a patient -------------------------------------------------------------------


def test_the_desk_finds_a_patient_by_name_phone_full_id_or_its_last_four(client):
    # given
    id_card_no = make_id_card_no(serial=321)
    phone = make_phone()
    slot = SlotFactory(session__fee=0)
    wanted = booked(
        slot,
        name="赵六",
        id_card_no=id_card_no,
        user=PatientUserFactory(phone=phone),
    )
    other = booked(SlotFactory(session=slot.session, session__fee=0))
    client.force_login(clerk_of(wanted.hospital))

    # when / then
    assert found(client, "赵六") == [wanted]
    assert found(client, "赵") == []  # names are encrypted: whole names only
    assert found(client, phone) == [wanted]
    assert found(client, id_card_no) == [wanted]
    assert found(client, id_card_no.lower()) == [wanted]
    assert found(client, id_card_no[-4:]) == [wanted]
    assert found(client, make_phone()) == []
    assert other.pk not in {a.pk for a in found(client, id_card_no)}


def test_the_desk_finds_a_family_member_by_their_own_phone(client):
    # given: the account belongs to a parent; the child's profile has its own phone
    own_phone = make_phone()
    slot = SlotFactory(session__fee=0)
    wanted = booked(slot, name="钱小八", phone=own_phone)
    booked(SlotFactory(session=slot.session, session__fee=0))
    client.force_login(clerk_of(wanted.hospital))

    # when / then
    assert wanted.user.phone != own_phone
    assert found(client, own_phone) == [wanted]


def test_search_never_reaches_another_hospital(client):
    # given
    phone = make_phone()
    theirs = booked(SlotFactory(session__fee=0), user=PatientUserFactory(phone=phone))
    ours = booked(SlotFactory(session__fee=0))
    client.force_login(clerk_of(ours.hospital))

    # when / then
    assert found(client, phone) == []
    assert theirs.pk  # booked, but in another hospital


def test_the_search_box_explains_what_to_type(client):
    appointment = booked(SlotFactory(session__fee=0))
    client.force_login(clerk_of(appointment.hospital))

    with translation.override("zh-hans"):
        response = client.get(reverse(CHANGELIST), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert "完整身份证号或身份证后 4 位" in response.content.decode()


# -- identity on the list and the appointment page ---------------------------------------


def test_list_and_page_show_masked_id_and_phone_and_no_account_links(client):
    # given
    id_card_no = make_id_card_no(serial=456)
    phone = make_phone()
    appointment = booked(
        SlotFactory(session__fee=0), name="孙七", id_card_no=id_card_no, phone=phone
    )
    client.force_login(clerk_of(appointment.hospital))

    # when
    listing = client.get(reverse(CHANGELIST)).content.decode()
    page = client.get(
        reverse("admin:appointments_appointment_change", args=[appointment.pk])
    ).content.decode()

    # then
    masked_id = id_card_no[:3] + "*" * 11 + id_card_no[-4:]
    masked_phone = phone[:3] + "****" + phone[-4:]
    for html in (listing, page):
        assert masked_id in html
        assert masked_phone in html
        assert id_card_no not in html
        assert phone not in html
    assert "孙七" in page
    # no link to the patient's account or profile pages
    assert f"/admin/accounts/user/{appointment.user_id}/" not in page
    assert f"/admin/accounts/patientprofile/{appointment.profile_id}/" not in page
    assert 'name="_save"' not in page  # read-only: no save buttons


def test_the_list_keeps_few_columns_and_hides_the_hospital_from_its_staff(client):
    # given
    appointment = booked(SlotFactory(session__fee=0))
    client.force_login(clerk_of(appointment.hospital))
    root = User.objects.create_superuser(username="root", password="x")

    # when
    as_clerk = client.get(reverse(CHANGELIST)).context["cl"].list_display
    client.force_login(root)
    as_platform = client.get(reverse(CHANGELIST)).context["cl"].list_display

    # then: checkbox + at most seven columns for the desk
    assert len(as_clerk) <= 8
    assert "hospital" not in as_clerk
    assert "hospital" in as_platform


def test_the_desk_list_speaks_chinese(client):
    appointment = booked(SlotFactory(session__fee=0))
    client.force_login(clerk_of(appointment.hospital))

    with translation.override("zh-hans"):
        html = client.get(
            reverse(CHANGELIST), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()

    for word in ("就诊时间", "就诊人", "签到", "预约"):
        assert word in html
    for english in ("Check in", "visit", "patient", "ID number / phone"):
        assert f">{english}<" not in html


def test_a_doctor_sees_the_list_but_cannot_check_in(client):
    # given
    appointment = booked(SlotFactory(session__fee=0))
    doctor = User.objects.create_user(
        username="dr",
        password="x",
        role=User.Role.DOCTOR,
        hospital=appointment.hospital,
        is_staff=True,
    )

    # when
    button = reverse("admin:appointments_appointment_check_in", args=[appointment.pk])
    with visit_day(appointment):
        client.force_login(doctor)
        listing = client.get(reverse(CHANGELIST))
        post = client.post(
            reverse("admin:appointments_appointment_check_in", args=[appointment.pk])
        )

    # then
    assert listing.status_code == 200
    assert button not in listing.content.decode()
    assert post.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


# -- history -----------------------------------------------------------------------------


def test_the_history_page_shows_the_log_readably_newest_first(client):
    # given
    appointment = booked(SlotFactory(session__fee=0))
    with visit_day(appointment):
        appointment_check_in(
            actor=Actor.system(), appointment=appointment, by_staff=True
        )
    client.force_login(clerk_of(appointment.hospital))

    # when
    with translation.override("zh-hans"):
        response = client.get(
            reverse("admin:appointments_appointment_history", args=[appointment.pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

    # then
    rows = list(response.context["action_list"])
    assert [row.row.action for row in rows][:1] == ["appointment.checked_in"]
    assert rows[-1].row.created_at <= rows[0].row.created_at
    html = response.content.decode()
    assert "患者已签到" in html
    assert "appointment.checked_in" not in html
