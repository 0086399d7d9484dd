"""`rotate_encryption_key` re-encrypts the records' columns too, locked versions included."""

import io

import pytest
from django.core.management import call_command

from common import crypto
from common.services import Actor
from records.models import RecordVersion, Report
from records.services.records import record_sign
from records.services.reports import report_add
from tests.records.factories import appointment_for, doctor_with_login, draft_for

pytestmark = pytest.mark.django_db

KEY_A = b"A" * 32
KEY_B = b"B" * 32


def test_rotation_covers_locked_versions_and_reports(settings):
    # given: a signed record and a report, under key A
    settings.FIELD_ENCRYPTION_KEY = KEY_A
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    appointment = appointment_for(doctor=doctor_with_login())
    version = draft_for(appointment)
    actor = Actor(user=appointment.doctor.user)
    record_sign(actor=actor, record=version.record)
    report_add(
        actor=actor,
        record=version.record,
        kind="lab",
        title="血常规",
        results=[{"item": "WBC", "value": "5", "flag": "N"}],
        files=[],
    )

    # when
    settings.FIELD_ENCRYPTION_KEY = KEY_B
    settings.FIELD_ENCRYPTION_OLD_KEYS = [KEY_A]
    call_command("rotate_encryption_key", stdout=io.StringIO(), stderr=io.StringIO())

    # then: readable without key A, and still locked
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    version = RecordVersion.objects.get(pk=version.pk)
    assert version.chief_complaint_encrypted.startswith(crypto.current_prefix())
    assert version.chief_complaint == "咳嗽三天"
    assert version.diagnoses[0]["code"] == "J06.9"
    assert version.status == "signed"
    report = Report.objects.get()
    assert (report.title, report.results[0]["item"]) == ("血常规", "WBC")
