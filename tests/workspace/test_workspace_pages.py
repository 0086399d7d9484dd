"""The doctors' workspace pages (records.workspace): sign-in, scope, the queue buttons,
writing and signing a record through the form, the access log of earlier records."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone, translation

from appointments.models import Appointment
from common.models import OperationLog
from common.services import Actor
from records.models import RecordAccess, RecordVersion, VisitRecord
from records.services.content import RecordContent
from records.services.records import record_draft_save, record_sign
from tests.accounts.factories import PatientProfileFactory, StaffFactory
from tests.hospitals.factories import HospitalFactory
from tests.records.factories import appointment_for, doctor_with_login
from tests.records.helpers import client_for

pytestmark = pytest.mark.django_db
S = Appointment.Status


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def record_post(**overrides) -> dict:
    """The record form's POST body: text fields, one diagnosis and one prescription row."""
    data = {
        "chief_complaint": "咳嗽三天",
        "present_illness": "",
        "history": "",
        "examination": "咽部充血",
        "orders": "",
        "advice": "多饮水",
        "follow_up_date": "",
        "dx-TOTAL_FORMS": "2",
        "dx-INITIAL_FORMS": "0",
        "dx-MIN_NUM_FORMS": "0",
        "dx-MAX_NUM_FORMS": "20",
        "dx-0-code": "J06.9",
        "dx-0-text": "",
        "dx-1-code": "",
        "dx-1-text": "",
        "rx-TOTAL_FORMS": "1",
        "rx-INITIAL_FORMS": "0",
        "rx-MIN_NUM_FORMS": "0",
        "rx-MAX_NUM_FORMS": "50",
        "rx-0-drug": "对乙酰氨基酚片",
        "rx-0-dose": "0.5g",
        "rx-0-route": "口服",
        "rx-0-frequency": "tid",
        "rx-0-days": "3",
        "rx-0-quantity": "1盒",
        "action": "save",
    }
    data.update(overrides)
    return data


# -- sign-in and scope -------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_admin_login_and_back():
    response = Client().get("/workspace/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/workspace/"


def test_a_signed_in_patient_gets_403():
    patient = PatientProfileFactory().user

    assert signed_in(patient).get("/workspace/").status_code == 403


def test_a_clinician_without_the_second_factor_is_sent_to_the_admin_login(settings):
    settings.STAFF_REQUIRE_OTP = True
    doctor = doctor_with_login()

    response = signed_in(doctor.user).get("/workspace/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_the_doctor_sees_their_own_sessions_of_today_and_the_week():
    doctor = doctor_with_login()
    mine = appointment_for(doctor=doctor).session
    other = appointment_for(doctor=doctor_with_login(doctor.hospital)).session

    response = signed_in(doctor.user).get("/workspace/")

    assert response.status_code == 200
    assert f"/workspace/sessions/{mine.pk}/" in response.content.decode()
    assert f"/workspace/sessions/{other.pk}/" not in response.content.decode()
    assert [s.pk for s in response.context["today_sessions"]] == [mine.pk]
    row = response.context["today_sessions"][0]
    assert (row.booked_count, row.seats, row.checked_in_count) == (1, 5, 1)


def test_another_doctors_session_and_another_hospitals_answer_404():
    doctor = doctor_with_login()
    colleague = appointment_for(doctor=doctor_with_login(doctor.hospital))
    elsewhere = appointment_for(doctor=doctor_with_login())
    doctor_client = signed_in(doctor.user)
    staff_client = signed_in(StaffFactory(hospital=doctor.hospital))

    assert (
        doctor_client.get(f"/workspace/sessions/{colleague.session_id}/").status_code
        == 404
    )
    assert (
        doctor_client.post(
            f"/workspace/sessions/{colleague.session_id}/call-next/"
        ).status_code
        == 404
    )
    assert (
        doctor_client.get(f"/workspace/appointments/{colleague.pk}/record/").status_code
        == 404
    )
    assert (
        staff_client.get(f"/workspace/sessions/{colleague.session_id}/").status_code
        == 200
    )
    assert (
        staff_client.get(f"/workspace/sessions/{elsewhere.session_id}/").status_code
        == 404
    )
    assert (
        staff_client.post(f"/workspace/appointments/{elsewhere.pk}/skip/").status_code
        == 404
    )


def test_the_queue_shows_full_names_to_the_doctor_and_the_staff():
    doctor = doctor_with_login()
    appointment = appointment_for(
        doctor=doctor, profile=PatientProfileFactory(name="张三丰")
    )
    url = f"/workspace/sessions/{appointment.session_id}/"

    for user in (doctor.user, StaffFactory(hospital=doctor.hospital)):
        page = signed_in(user).get(url).content.decode()
        assert "张三丰" in page


# -- the queue buttons -------------------------------------------------------------------


def test_call_next_skip_recall_and_seen_change_the_appointment():
    doctor = doctor_with_login()
    appointment = appointment_for(doctor=doctor)
    client = signed_in(doctor.user)
    queue = f"/workspace/sessions/{appointment.session_id}/"

    response = client.post(f"{queue}call-next/")
    assert response.status_code == 302
    assert response["Location"] == queue
    appointment.refresh_from_db()
    assert (appointment.status, appointment.call_count) == (S.CALLED, 1)

    client.post(f"/workspace/appointments/{appointment.pk}/skip/")
    appointment.refresh_from_db()
    assert appointment.status == S.SKIPPED

    client.post(f"/workspace/appointments/{appointment.pk}/recall/")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.call_count) == (S.CALLED, 2)

    client.post(f"/workspace/appointments/{appointment.pk}/seen/")
    appointment.refresh_from_db()
    assert appointment.status == S.COMPLETED
    assert appointment.visit_ended_at is not None


def test_a_refused_action_is_shown_as_a_message_not_an_error():
    doctor = doctor_with_login()
    appointment = appointment_for(doctor=doctor)  # checked in, not called
    client = signed_in(doctor.user)

    response = client.post(
        f"/workspace/appointments/{appointment.pk}/seen/", follow=True
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Only a called patient can be marked as seen."]
    appointment.refresh_from_db()
    assert appointment.status == S.CHECKED_IN

    client.post(f"/workspace/sessions/{appointment.session_id}/call-next/", follow=True)
    response = client.post(
        f"/workspace/sessions/{appointment.session_id}/call-next/", follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "No checked-in patient is waiting."
    ]


def test_the_buttons_answer_405_to_get():
    doctor = doctor_with_login()
    appointment = appointment_for(doctor=doctor)

    response = signed_in(doctor.user).get(
        f"/workspace/sessions/{appointment.session_id}/call-next/"
    )

    assert response.status_code == 405
    appointment.refresh_from_db()
    assert appointment.status == S.CHECKED_IN


# -- the record form ---------------------------------------------------------------------


def test_the_doctor_writes_saves_and_signs_a_record_through_the_form():
    doctor = doctor_with_login()
    appointment = appointment_for(doctor=doctor, status=S.CALLED)
    client = signed_in(doctor.user)
    url = f"/workspace/appointments/{appointment.pk}/record/"

    assert client.get(url).status_code == 200
    response = client.post(url, record_post())
    assert response.status_code == 302
    version = RecordVersion.objects.get(record__appointment=appointment)
    assert version.status == RecordVersion.Status.DRAFT
    assert version.chief_complaint == "咳嗽三天"
    assert version.diagnoses == [{"code": "J06.9", "text": "急性上呼吸道感染"}]
    assert version.prescriptions[0]["drug"] == "对乙酰氨基酚片"
    assert version.prescriptions[0]["days"] == 3

    response = client.post(url, record_post(action="sign", advice="休息"))
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == RecordVersion.Status.SIGNED
    assert version.advice == "休息"
    assert OperationLog.objects.filter(action="record.signed").count() == 1

    page = client.get(url)
    assert page.context["locked"] is True
    assert "Save the correction" in page.content.decode()


def test_a_malformed_icd_code_shows_the_error_and_writes_nothing():
    doctor = doctor_with_login()
    appointment = appointment_for(doctor=doctor)
    url = f"/workspace/appointments/{appointment.pk}/record/"

    response = signed_in(doctor.user).post(url, record_post(**{"dx-0-code": "J6.9X"}))

    assert response.status_code == 400
    assert "J6.9X is not an ICD-10 code (like J06.9)." in response.content.decode()
    assert VisitRecord.objects.exists() is False
    assert OperationLog.objects.filter(action__startswith="record.").exists() is False


def test_signing_an_empty_record_is_refused_and_saves_nothing():
    doctor = doctor_with_login()
    appointment = appointment_for(doctor=doctor)
    url = f"/workspace/appointments/{appointment.pk}/record/"

    response = signed_in(doctor.user).post(
        url,
        record_post(action="sign", chief_complaint="", **{"dx-0-code": ""}),
    )

    assert response.status_code == 400
    assert [str(m) for m in response.context["messages"]] == [
        "Write a chief complaint or a diagnosis before signing."
    ]
    assert VisitRecord.objects.exists() is False


def test_a_signed_record_is_corrected_with_a_reason_only():
    doctor = doctor_with_login()
    appointment = appointment_for(doctor=doctor)
    actor = Actor(user=doctor.user)
    record = record_draft_save(
        actor=actor,
        appointment=appointment,
        content=RecordContent(chief_complaint="头痛"),
    ).record
    record_sign(actor=actor, record=record)
    client = signed_in(doctor.user)
    url = f"/workspace/appointments/{appointment.pk}/record/"

    refused = client.post(url, record_post(action="correct", reason=""))
    assert refused.status_code == 400
    assert record.versions.count() == 1

    response = client.post(url, record_post(action="correct", reason="诊断笔误"))
    assert response.status_code == 302
    latest = record.versions.order_by("-number").first()
    assert (latest.number, latest.correction_reason) == (2, "诊断笔误")
    assert latest.is_locked
    assert record.versions.get(number=1).chief_complaint == "头痛"


def test_staff_cannot_open_the_record_form():
    doctor = doctor_with_login()
    appointment = appointment_for(doctor=doctor)
    staff = signed_in(StaffFactory(hospital=doctor.hospital))

    assert (
        staff.get(f"/workspace/appointments/{appointment.pk}/record/").status_code
        == 404
    )
    assert (
        staff.post(
            f"/workspace/appointments/{appointment.pk}/record/", record_post()
        ).status_code
        == 404
    )
    assert VisitRecord.objects.exists() is False


def test_earlier_records_are_shown_and_written_to_the_patients_access_log():
    hospital = HospitalFactory()
    earlier_doctor = doctor_with_login(hospital)
    doctor = doctor_with_login(hospital)
    profile = PatientProfileFactory()
    last_month = timezone.localdate() - datetime.timedelta(days=30)
    old = appointment_for(doctor=earlier_doctor, profile=profile, day=last_month)
    old_actor = Actor(user=earlier_doctor.user)
    old_record = record_draft_save(
        actor=old_actor,
        appointment=old,
        content=RecordContent(chief_complaint="旧病历主诉"),
    ).record
    record_sign(actor=old_actor, record=old_record)
    today = appointment_for(doctor=doctor, profile=profile)

    response = signed_in(doctor.user).get(f"/workspace/appointments/{today.pk}/record/")

    assert response.status_code == 200
    assert "旧病历主诉" in response.content.decode()
    logged = RecordAccess.objects.get(record=old_record)
    assert logged.reader == doctor.user
    assert logged.profile_id == profile.pk
    log = client_for(profile.user).get("/api/v1/records/access-log/").json()
    assert len(log["results"]) == 1


def test_the_pages_speak_chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    doctor = doctor_with_login()
    appointment = appointment_for(doctor=doctor, status=S.CALLED)
    client = signed_in(doctor.user)

    with translation.override("zh-hans"):
        sessions = client.get("/workspace/").content.decode()
        queue = client.get(f"/workspace/sessions/{appointment.session_id}/").content
        record = client.get(f"/workspace/appointments/{appointment.pk}/record/").content

    assert "我的出诊" in sessions
    assert "呼叫下一位" in queue.decode()
    assert "保存并签名" in record.decode()


def test_only_the_doctor_gets_the_write_record_link():
    doctor = doctor_with_login()
    appointment = appointment_for(doctor=doctor)
    url = f"/workspace/sessions/{appointment.session_id}/"
    link = f"/workspace/appointments/{appointment.pk}/record/"

    assert link in signed_in(doctor.user).get(url).content.decode()
    staff = signed_in(StaffFactory(hospital=doctor.hospital))
    assert link not in staff.get(url).content.decode()
