"""Record writes racing on a real engine: one record per appointment, no deadlocks."""

import pytest

from common.services import Actor
from records.models import RecordVersion, Report, VisitRecord
from records.services.records import record_draft_save, record_sign
from records.services.reports import report_add
from tests.race import needs_row_locks, run_at_once
from tests.records.factories import PNG, appointment_for, content, doctor_with_login

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("icd_subset_kept"),
    needs_row_locks,
]


def test_first_saves_racing_make_one_record_with_one_draft():
    appointment = appointment_for(doctor=doctor_with_login())
    actor = Actor(user=appointment.doctor.user)

    results = run_at_once(
        [
            lambda n=n: record_draft_save(
                actor=actor,
                appointment=appointment,
                content=content(chief_complaint=f"第{n}次"),
            )
            for n in range(10)
        ]
    )

    assert [r for r in results if isinstance(r, Exception)] == []
    assert VisitRecord.objects.count() == 1
    assert RecordVersion.objects.count() == 1


def test_saves_signatures_and_reports_racing_never_deadlock():
    appointment = appointment_for(doctor=doctor_with_login())
    actor = Actor(user=appointment.doctor.user)
    record = record_draft_save(
        actor=actor, appointment=appointment, content=content()
    ).record

    def save():
        return record_draft_save(
            actor=actor, appointment=appointment, content=content()
        )

    def sign():
        return record_sign(actor=actor, record=record)

    def report():
        return report_add(
            actor=actor,
            record=record,
            kind="lab",
            title="t",
            results=[],
            files=[("a.png", PNG)],
        )

    results = run_at_once([save, sign, report] * 6)

    errors = [r for r in results if isinstance(r, Exception)]
    # Only the refusals of a record already signed: no deadlock, no other failure.
    assert {getattr(e, "code", repr(e)) for e in errors} <= {"record_locked"}
    assert Report.objects.count() == 6
    assert RecordVersion.objects.get().status == "signed"
