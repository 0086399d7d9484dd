"""爽约管理 in the admin: staff see their own hospital's records and appeals only, and
accept or reject appeals with a note through a confirmation page; rules are edited there."""

import pytest
from django.test import Client
from django.urls import reverse

from appointments.ledger.rules import person_restriction
from appointments.ledger.services import appeal_file
from appointments.models import LedgerAppeal, LedgerEntry, LedgerRule
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import StaffFactory
from tests.appointments.booking_helpers import book
from tests.appointments.test_ledger import bookable, doctor, restricted

pytestmark = pytest.mark.django_db
__all__ = ["doctor", "restricted"]  # the fixtures

APPEALS = "admin:appointments_ledgerappeal_changelist"


def _staff(hospital) -> Client:
    client = Client()
    client.force_login(StaffFactory(hospital=hospital))
    return client


def _appeal(profile) -> LedgerAppeal:
    return appeal_file(
        actor=Actor.system(),
        user=profile.user,
        entry=LedgerEntry.objects.order_by("-occurred_at").first(),
        reason="当天住院",
    )


def test_staff_accept_with_a_note_after_confirming_and_booking_works_at_once(
    restricted, doctor
):
    appeal = _appeal(restricted)
    staff = _staff(doctor.hospital)
    asked = staff.post(
        reverse(APPEALS), {"action": "accept", "_selected_action": [appeal.pk]}
    )
    assert asked.status_code == 200  # the confirmation page, nothing decided yet
    assert "当天住院" in asked.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == "pending"

    done = staff.post(
        reverse(APPEALS),
        {
            "action": "accept",
            "_selected_action": [appeal.pk],
            "confirm": "1",
            "note": "住院证明属实",
        },
    )

    assert done.status_code == 302
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decision_note) == ("accepted", "住院证明属实")
    assert (
        person_restriction(
            id_card_hash=restricted.id_card_hash, hospital_id=doctor.hospital_id
        )
        is None
    )
    assert book(bookable(doctor), restricted).status == "booked"
    assert OperationLog.objects.filter(action="ledger.appeal_accept").count() == 1


def test_staff_of_the_hospital_open_the_proof_and_others_get_404(restricted, doctor):
    png = b"\x89PNG\r\n\x1a\n" + b"1" * 16
    appeal = appeal_file(
        actor=Actor.system(),
        user=restricted.user,
        entry=LedgerEntry.objects.first(),
        reason="附证明",
        attachment_name="proof.png",
        attachment_content=png,
    )
    url = reverse("admin:appointments_ledgerappeal_attachment", args=[appeal.pk])
    mine = _staff(doctor.hospital).get(url)
    assert mine.status_code == 200
    assert (mine.content, mine["Content-Type"]) == (png, "image/png")
    assert _staff(StaffFactory().hospital).get(url).status_code == 404


def test_staff_of_another_hospital_see_nor_decide_anything(restricted, doctor):
    appeal = _appeal(restricted)
    other = _staff(StaffFactory().hospital)
    listing = other.get(reverse(APPEALS))
    assert listing.status_code == 200
    assert "当天住院" not in listing.content.decode()
    other.post(
        reverse(APPEALS),
        {"action": "reject", "_selected_action": [appeal.pk], "confirm": "1"},
    )
    appeal.refresh_from_db()
    assert appeal.status == "pending"
    entries = other.get(reverse("admin:appointments_ledgerentry_changelist"))
    assert entries.context["cl"].result_count == 0
    mine = _staff(doctor.hospital).get(
        reverse("admin:appointments_ledgerentry_changelist")
    )
    assert mine.context["cl"].result_count == 3


def test_staff_edit_their_hospitals_rule_and_it_is_logged(doctor):
    staff = _staff(doctor.hospital)
    response = staff.post(
        reverse("admin:appointments_ledgerrule_add"),
        {
            "hospital": doctor.hospital_id,
            "kind": "late_cancel",
            "count": 2,
            "window_days": 30,
            "restriction_days": 14,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = LedgerRule.objects.get()
    assert (rule.kind, rule.count, rule.restriction_days) == ("late_cancel", 2, 14)
    assert OperationLog.objects.filter(action="ledger.rule").exists()
