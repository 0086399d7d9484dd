"""The records admin: read-only, one hospital's records, every opening logged."""

import pytest
from django.urls import reverse

from common.services import Actor
from records.models import RecordAccess, RecordVersion
from records.services.records import record_sign
from tests.records.factories import (
    appointment_for,
    doctor_with_login,
    draft_for,
    staff_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def signed():
    appointment = appointment_for(doctor=doctor_with_login())
    version = draft_for(appointment, chief_complaint="管理后台可见的主诉")
    record_sign(actor=Actor(user=appointment.doctor.user), record=version.record)
    return version.record


def test_staff_read_their_hospitals_record_and_the_reading_is_logged(client, signed):
    staff = staff_of(signed.hospital)
    client.force_login(staff)

    listing = client.get(reverse("admin:records_visitrecord_changelist"))
    page = client.get(reverse("admin:records_visitrecord_change", args=[signed.pk]))

    assert listing.status_code == 200
    assert page.status_code == 200
    html = page.content.decode()
    assert "管理后台可见的主诉" in html
    assert 'name="_save"' not in html
    access = RecordAccess.objects.get()
    assert (access.reader, access.record, access.role) == (
        staff,
        signed,
        "hospital_staff",
    )


def test_staff_of_another_hospital_do_not_see_the_record(client, signed):
    client.force_login(staff_of(doctor_with_login().hospital))

    listing = client.get(reverse("admin:records_visitrecord_changelist"))
    page = client.get(reverse("admin:records_visitrecord_change", args=[signed.pk]))

    assert listing.status_code == 200
    assert f">{signed.pk}<" not in listing.content.decode()
    assert page.status_code == 302
    assert RecordAccess.objects.exists() is False


def test_a_doctor_sees_only_their_own_patients_records(client, signed):
    colleague = doctor_with_login(hospital=signed.hospital)
    client.force_login(colleague.user)

    page = client.get(reverse("admin:records_visitrecord_change", args=[signed.pk]))

    assert page.status_code == 302
    client.force_login(signed.doctor.user)
    assert (
        client.get(
            reverse("admin:records_visitrecord_change", args=[signed.pk])
        ).status_code
        == 200
    )


def test_a_locked_record_cannot_be_changed_through_the_admin(client, signed):
    version = signed.versions.get()
    before = version.chief_complaint_encrypted
    client.force_login(signed.doctor.user)

    answer = client.post(
        reverse("admin:records_visitrecord_change", args=[signed.pk]),
        {
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-0-id": str(version.pk),
            "versions-0-record": str(signed.pk),
            "versions-0-follow_up_date": "2030-01-01",
        },
    )
    delete = client.post(
        reverse("admin:records_visitrecord_delete", args=[signed.pk]), {"post": "yes"}
    )

    assert answer.status_code == 403
    assert delete.status_code == 403
    version = RecordVersion.objects.get(pk=version.pk)
    assert version.chief_complaint_encrypted == before
    assert version.follow_up_date is None


def test_the_access_log_page_lists_who_opened_the_record(client, signed):
    staff = staff_of(signed.hospital)
    client.force_login(staff)
    client.get(reverse("admin:records_visitrecord_change", args=[signed.pk]))

    listing = client.get(reverse("admin:records_recordaccess_changelist"))

    assert listing.status_code == 200
    assert staff.username in listing.content.decode()
