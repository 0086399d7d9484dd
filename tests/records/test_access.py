"""Who may read and write which records, through the API: others' ids answer 404."""

import datetime

import pytest
from django.utils import timezone

from accounts.selectors import profile_id_card_no
from common.services import Actor
from records.models import RecordAccess, RecordVersion, VisitRecord
from records.services.records import record_sign
from records.services.reports import report_add
from tests.accounts.factories import PatientProfileFactory
from tests.records.factories import (
    PNG,
    appointment_for,
    doctor_with_login,
    draft_for,
    staff_of,
)
from tests.records.helpers import BASE, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

BODY = {"chief_complaint": "发热", "diagnoses": [{"code": "R50.9"}]}


def _signed_record_with_file(appointment):
    version = draft_for(appointment)
    record_sign(actor=Actor(user=appointment.doctor.user), record=version.record)
    report = report_add(
        actor=Actor(user=appointment.doctor.user),
        record=version.record,
        kind="imaging",
        title="胸片",
        results=[],
        files=[("chest.png", PNG)],
    )
    return version.record, report.attachments.get()


@pytest.fixture
def world():
    doctor_x = doctor_with_login()
    doctor_y = doctor_with_login()
    appointment_x = appointment_for(doctor=doctor_x)
    appointment_y = appointment_for(doctor=doctor_y)
    record_x, attachment_x = _signed_record_with_file(appointment_x)
    record_y, attachment_y = _signed_record_with_file(appointment_y)
    return {
        "doctor_x": doctor_x,
        "doctor_y": doctor_y,
        "appointment_x": appointment_x,
        "appointment_y": appointment_y,
        "record_x": record_x,
        "record_y": record_y,
        "attachment_x": attachment_x,
        "attachment_y": attachment_y,
    }


def test_a_doctor_of_one_hospital_cannot_read_or_write_anothers_records(world):
    client = client_for(world["doctor_x"].user)
    record_y = world["record_y"]
    versions_before = RecordVersion.objects.count()

    answers = [
        client.get(f"{BASE}staff/{record_y.pk}/"),
        client.get(f"{BASE}staff/attachments/{world['attachment_y'].pk}/"),
        client.post(f"{BASE}staff/{record_y.pk}/sign/"),
        client.post(
            f"{BASE}staff/{record_y.pk}/correct/",
            {**BODY, "reason": "r"},
            format="json",
        ),
        client.post(
            f"{BASE}staff/appointments/{world['appointment_y'].pk}/draft/",
            BODY,
            format="json",
        ),
        client.get(f"{BASE}staff/appointments/{world['appointment_y'].pk}/history/"),
        client.post(
            f"{BASE}staff/{record_y.pk}/reports/",
            {"kind": "lab", "title": "t"},
            format="multipart",
        ),
    ]

    assert [a.status_code for a in answers] == [404] * 7
    assert answers[0].json()["error"]["code"] == "record_not_found"
    assert RecordVersion.objects.count() == versions_before
    assert RecordAccess.objects.exists() is False


def test_staff_of_another_hospital_get_404_and_staff_of_the_hospital_read(world):
    other = client_for(staff_of(world["doctor_y"].hospital))
    own = client_for(staff_of(world["doctor_x"].hospital))
    record = world["record_x"]

    assert other.get(f"{BASE}staff/{record.pk}/").status_code == 404
    assert (
        other.get(f"{BASE}staff/attachments/{world['attachment_x'].pk}/").status_code
        == 404
    )
    assert own.get(f"{BASE}staff/{record.pk}/").status_code == 200
    assert (
        own.get(f"{BASE}staff/attachments/{world['attachment_x'].pk}/").content == PNG
    )


def test_staff_do_not_write_records_but_add_reports(world):
    staff = client_for(staff_of(world["doctor_x"].hospital))
    record = world["record_x"]

    draft = staff.post(
        f"{BASE}staff/appointments/{world['appointment_x'].pk}/draft/",
        BODY,
        format="json",
    )
    report = staff.post(
        f"{BASE}staff/{record.pk}/reports/",
        {"kind": "lab", "title": "血常规", "results": "[]"},
        format="multipart",
    )

    assert draft.status_code == 404
    assert report.status_code == 201


def test_a_doctor_reads_earlier_records_only_of_patients_on_todays_list(world):
    # given: a patient seen by another doctor of hospital X last week
    doctor_x = world["doctor_x"]
    colleague = doctor_with_login(hospital=doctor_x.hospital)
    profile = PatientProfileFactory()
    last_week = appointment_for(
        doctor=colleague,
        profile=profile,
        day=timezone.localdate() - datetime.timedelta(days=7),
    )
    earlier, _attachment = _signed_record_with_file(last_week)
    client = client_for(doctor_x.user)

    # when: the patient is not on doctor X's list
    refused = client.get(f"{BASE}staff/{earlier.pk}/")

    # then
    assert refused.status_code == 404

    # when: the same person (another account, same ID number) is on today's list
    same_person = PatientProfileFactory(id_card_no=profile_id_card_no(profile))
    assert same_person.user != profile.user
    today = appointment_for(doctor=doctor_x, profile=same_person)
    history = client.get(f"{BASE}staff/appointments/{today.pk}/history/")
    detail = client.get(f"{BASE}staff/{earlier.pk}/")

    # then
    assert history.status_code == 200
    assert [r["id"] for r in history.json()] == [earlier.pk]
    assert detail.status_code == 200
    assert detail.json()["versions"][0]["chief_complaint"] == "咳嗽三天"
    assert (
        RecordAccess.objects.filter(record=earlier, reader=doctor_x.user).count() == 2
    )


def test_a_doctor_cannot_see_earlier_records_through_another_days_appointment(world):
    doctor_x = world["doctor_x"]
    tomorrow = appointment_for(
        doctor=doctor_x,
        day=timezone.localdate() + datetime.timedelta(days=1),
        status="booked",
    )

    answer = client_for(doctor_x.user).get(
        f"{BASE}staff/appointments/{tomorrow.pk}/history/"
    )

    assert answer.status_code == 404
    assert RecordAccess.objects.exists() is False


def test_patient_b_cannot_read_patient_as_records_or_files(world):
    record = world["record_x"]
    patient_b = PatientProfileFactory().user
    client = client_for(patient_b)

    assert client.get(f"{BASE}{record.pk}/").status_code == 404
    assert (
        client.get(f"{BASE}attachments/{world['attachment_x'].pk}/").status_code == 404
    )
    assert client.get(BASE).json()["count"] == 0
    assert client.get(f"{BASE}staff/{record.pk}/").status_code == 403


def test_patients_read_their_own_records_and_files(world):
    record = world["record_x"]
    client = client_for(record.profile.user)

    detail = client.get(f"{BASE}{record.pk}/")
    download = client.get(f"{BASE}attachments/{world['attachment_x'].pk}/")

    assert detail.status_code == 200
    assert detail.json()["versions"][0]["diagnoses"] == [
        {"code": "J06.9", "text": "急性上呼吸道感染"}
    ]
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download.content == PNG
    # a patient's own reading is not in the log of others' readings
    assert RecordAccess.objects.exists() is False


def test_a_patient_does_not_see_a_draft(world):
    appointment = appointment_for(doctor=world["doctor_x"])
    version = draft_for(appointment)
    client = client_for(appointment.user)

    assert client.get(f"{BASE}{version.record_id}/").status_code == 404
    assert client.get(BASE).json()["count"] == 0


def test_every_staff_read_is_in_the_patients_access_log(world):
    # given
    record = world["record_x"]
    staff = staff_of(world["doctor_x"].hospital)
    staff.first_name = "护士"
    staff.save()
    client_for(staff).get(f"{BASE}staff/{record.pk}/")
    client_for(staff).get(f"{BASE}staff/attachments/{world['attachment_x'].pk}/")
    client_for(world["doctor_x"].user).get(f"{BASE}staff/{record.pk}/")

    # when
    log = client_for(record.profile.user).get(f"{BASE}access-log/").json()

    # then
    assert log["count"] == 3
    rows = log["results"]
    assert [(r["role"], r["what"]) for r in rows] == [
        ("doctor", "record"),
        ("hospital_staff", "attachment"),
        ("hospital_staff", "record"),
    ]
    assert rows[0]["reader"] == world["doctor_x"].name
    assert rows[1]["reader"] == "护士"
    assert rows[1]["attachment_id"] == world["attachment_x"].pk
    assert {r["record_id"] for r in rows} == {record.pk}
    assert rows[0]["hospital"] == world["doctor_x"].hospital.name
    # another patient's log is empty
    other = client_for(PatientProfileFactory().user).get(f"{BASE}access-log/").json()
    assert other["count"] == 0


def test_patients_and_platform_admins_cannot_use_the_clinicians_endpoints(world):
    patient = world["appointment_x"].user
    answer = client_for(patient).post(
        f"{BASE}staff/appointments/{world['appointment_x'].pk}/draft/",
        BODY,
        format="json",
    )
    assert answer.status_code == 403
    assert VisitRecord.objects.count() == 2
