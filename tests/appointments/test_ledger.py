"""The no-show ledger (爽约管理): records per person, the hospital's rule, the refusal on
every patient booking path (members too, the ticket writer too), appeals and their
decisions, and who may see what."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from appointments.ledger import services as ledger_services
from appointments.ledger.rules import person_restriction
from appointments.ledger.services import (
    appeal_attachment_content,
    appeal_decide,
    ledger_entry_record,
)
from appointments.models import (
    Appointment,
    LedgerAppeal,
    LedgerEntry,
    LedgerKind,
    LedgerRule,
    Notification,
    WaitlistEntry,
)
from appointments.services import sessions_mark_no_shows
from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from scheduling.rules import local_datetime
from tests.accounts.factories import default_levels
from tests.appointments.booking_helpers import book, same_person
from tests.appointments.factories import PatientProfileFactory
from tests.records.helpers import client_for
from tests.scheduling.factories import DoctorFactory, SlotFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor.system()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _day(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def no_show(profile, doctor, days: int):
    """A booking of `profile` with `doctor` in `days` days, missed: the sweep marks it."""
    slot = SlotFactory(session__doctor=doctor, session__date=_day(days), session__fee=0)
    appointment = book(slot, profile)
    session = slot.session
    sessions_mark_no_shows(
        actor=ACTOR, now=local_datetime(session.date, session.end_time)
    )
    appointment.refresh_from_db()
    assert appointment.status == "no_show"
    return appointment


def bookable(doctor, days: int = 20):
    return SlotFactory(session__doctor=doctor, session__date=_day(days), session__fee=0)


@pytest.fixture
def doctor():
    return DoctorFactory()


@pytest.fixture
def restricted(doctor):
    """A profile with three no-shows at the doctor's hospital (the default rule)."""
    profile = PatientProfileFactory()
    for days in (2, 3, 4):
        no_show(profile, doctor, days)
    return profile


def test_two_no_shows_do_not_restrict_and_the_third_does_with_reason_and_date(doctor):
    profile = PatientProfileFactory()
    no_show(profile, doctor, 2)
    no_show(profile, doctor, 3)
    assert book(bookable(doctor, 20), profile).status == "booked"

    no_show(profile, doctor, 4)

    with pytest.raises(Conflict) as refused, translation.override("en"):
        book(bookable(doctor, 21), profile)
    until = (_day(4) + datetime.timedelta(days=30)).isoformat()
    assert refused.value.code == "booking_restricted"
    assert "missed 3 appointments within 90 days" in refused.value.message
    assert until in refused.value.message
    with pytest.raises(Conflict) as refused, translation.override("zh-hans"):
        book(bookable(doctor, 22), profile)
    assert refused.value.message == f"您在90天内爽约3次，{until}前不能在本院预约。"


def test_the_restriction_is_the_persons_across_accounts_and_only_at_that_hospital(
    restricted, doctor
):
    other_account = same_person(restricted)
    with pytest.raises(Conflict) as refused:
        book(bookable(doctor), other_account)
    assert refused.value.code == "booking_restricted"
    elsewhere = SlotFactory(session__date=_day(20), session__fee=0)
    assert book(elsewhere, restricted).status == "booked"


def test_the_sweep_records_one_entry_per_appointment_and_logs_it(doctor):
    profile = PatientProfileFactory()
    appointment = no_show(profile, doctor, 2)
    again = ledger_entry_record(
        actor=ACTOR,
        appointment=appointment,
        kind=LedgerKind.NO_SHOW,
        now=timezone.now(),
    )
    assert again is None
    [entry] = LedgerEntry.objects.all()
    assert entry.id_card_hash == profile.id_card_hash
    assert entry.appointment_id == appointment.pk
    assert OperationLog.objects.filter(
        action="ledger.entry", object_id=str(entry.pk)
    ).exists()


def test_runs_further_apart_than_the_window_do_not_restrict(doctor):
    profile = PatientProfileFactory()
    appointments = [no_show(profile, doctor, d) for d in (2, 3, 4)]
    # the first one 100 days before the others: never 3 within 90 days
    LedgerEntry.objects.filter(appointment=appointments[0]).update(
        occurred_at=timezone.now() - datetime.timedelta(days=100)
    )
    assert (
        person_restriction(
            id_card_hash=profile.id_card_hash, hospital_id=doctor.hospital_id
        )
        is None
    )


def test_the_hospitals_rule_is_editable_and_late_cancels_count_only_with_one(doctor):
    profile = PatientProfileFactory()
    LedgerRule.objects.create(
        hospital=doctor.hospital, kind=LedgerKind.NO_SHOW, count=1, restriction_days=7
    )
    no_show(profile, doctor, 2)
    restriction = person_restriction(
        id_card_hash=profile.id_card_hash, hospital_id=doctor.hospital_id
    )
    assert restriction.until_date == _day(2) + datetime.timedelta(days=7)

    other = PatientProfileFactory()
    for days in (5, 6):
        appointment = book(bookable(doctor, days), other)
        ledger_entry_record(
            actor=ACTOR,
            appointment=appointment,
            kind=LedgerKind.LATE_CANCEL,
            now=timezone.now(),
        )
    assert (
        person_restriction(
            id_card_hash=other.id_card_hash, hospital_id=doctor.hospital_id
        )
        is None
    )
    LedgerRule.objects.create(
        hospital=doctor.hospital, kind=LedgerKind.LATE_CANCEL, count=2
    )
    with pytest.raises(Conflict) as refused, translation.override("en"):
        book(bookable(doctor), other)
    assert "cancelled late 2 times within 90 days" in refused.value.message


def test_members_are_not_exempt(doctor):
    levels = default_levels()
    top = max(levels.values(), key=lambda level: level.priority_hours)
    profile = PatientProfileFactory(
        user__member_level=top, user__member_level_floor=top
    )
    for days in (2, 3, 4):
        no_show(profile, doctor, days)
    with pytest.raises(Conflict) as refused:
        book(bookable(doctor), profile)
    assert refused.value.code == "booking_restricted"


def _appeal(client, entry, **extra):
    return client.post(
        reverse("api:appointments:ledger-appeal-file", args=[entry.pk]),
        {"reason": "我那天住院了", **extra},
        format="multipart",
    )


def test_an_accepted_appeal_lifts_the_restriction_at_once(restricted, doctor):
    client = client_for(restricted.user)
    ledger = client.get(
        reverse("api:appointments:ledger-profile", args=[restricted.pk])
    ).json()
    assert len(ledger["entries"]) == 3
    [restriction] = ledger["restrictions"]
    assert restriction["hospital_id"] == doctor.hospital_id
    assert restriction["until"] == (_day(4) + datetime.timedelta(days=30)).isoformat()
    entry = LedgerEntry.objects.order_by("-occurred_at").first()

    response = _appeal(
        client, entry, attachment=SimpleUploadedFile("proof.png", PNG, "image/png")
    )
    assert response.status_code == 201, response.json()
    appeal = LedgerAppeal.objects.get(pk=response.json()["id"])
    assert appeal_attachment_content(appeal) == PNG
    staff = PatientProfileFactory().user
    appeal_decide(
        actor=Actor(user=staff), appeal_id=appeal.pk, accept=True, note="核实属实"
    )

    assert book(bookable(doctor), restricted).status == "booked"
    entry.refresh_from_db()
    assert entry.voided_at is not None
    assert OperationLog.objects.filter(
        action="ledger.appeal_accept", object_id=str(appeal.pk), actor=staff
    ).exists()
    mine = client.get(reverse("api:appointments:ledger-appeals")).json()
    assert [(a["id"], a["status"]) for a in mine] == [(appeal.pk, "accepted")]


def test_a_rejected_appeal_keeps_the_restriction(restricted, doctor):
    entry = LedgerEntry.objects.first()
    response = _appeal(client_for(restricted.user), entry)
    assert response.status_code == 201
    appeal_decide(actor=ACTOR, appeal_id=response.json()["id"], accept=False)
    with pytest.raises(Conflict):
        book(bookable(doctor), restricted)
    with pytest.raises(Conflict) as again:
        appeal_decide(actor=ACTOR, appeal_id=response.json()["id"], accept=True)
    assert again.value.code == "appeal_decided"
    assert OperationLog.objects.filter(action="ledger.appeal_reject").count() == 1


def test_one_pending_appeal_per_entry_and_a_bad_file_is_refused(restricted):
    client = client_for(restricted.user)
    entry = LedgerEntry.objects.first()
    text = SimpleUploadedFile("proof.png", b"not an image", "image/png")
    refused = _appeal(client, entry, attachment=text)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "appeal_attachment_refused"
    assert "attachment" in refused.json()["error"]["fields"]
    blank = client.post(
        reverse("api:appointments:ledger-appeal-file", args=[entry.pk]),
        {"reason": ""},
        format="multipart",
    )
    assert blank.status_code == 400
    assert _appeal(client, entry).status_code == 201
    second = _appeal(client, entry)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "appeal_pending"


def test_another_users_ledger_entries_and_appeals_are_404(restricted):
    stranger = client_for(PatientProfileFactory().user)
    entry = LedgerEntry.objects.first()
    assert (
        stranger.get(
            reverse("api:appointments:ledger-profile", args=[restricted.pk])
        ).status_code
        == 404
    )
    response = _appeal(stranger, entry)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ledger_entry_not_found"
    assert _appeal(client_for(restricted.user), entry).status_code == 201
    assert stranger.get(reverse("api:appointments:ledger-appeals")).json() == []


def test_a_members_late_cancel_is_recorded_once_and_an_early_one_is_not(doctor):
    from appointments.services import appointment_cancel

    levels = default_levels()
    profile = PatientProfileFactory(
        user__member_level=levels["gold"], user__member_level_floor=levels["gold"]
    )
    late_one = book(bookable(doctor, 5), profile)
    early_one = book(bookable(doctor, 6), profile)

    appointment_cancel(
        actor=ACTOR,
        appointment=late_one,
        now=late_one.visit_starts_at - datetime.timedelta(minutes=30),
    )
    appointment_cancel(actor=ACTOR, appointment=early_one)

    [entry] = LedgerEntry.objects.all()
    assert (entry.kind, entry.appointment_id) == ("late_cancel", late_one.pk)
    assert entry.id_card_hash == profile.id_card_hash


def test_a_restricted_members_waitlist_entry_is_closed_not_promoted(doctor):
    """The ledger's refusal applies to waitlist promotion too, members included: the
    restricted person's entry is closed and told so, and the seat goes to the next."""
    from appointments.services import appointment_cancel, waitlist_join

    levels = default_levels()
    top = max(levels.values(), key=lambda level: level.priority_hours)
    member = PatientProfileFactory(user__member_level=top, user__member_level_floor=top)
    slot = bookable(doctor)
    slot.capacity = 1
    slot.save(update_fields=["capacity"])
    holder = book(slot)
    entries = [
        waitlist_join(actor=ACTOR, user=who.user, profile=who, session=slot.session)
        for who in (member, PatientProfileFactory())
    ]
    WaitlistEntry.objects.filter(pk=entries[0].pk).update(priority=99)  # first in line
    for days in (2, 3, 4):  # restricted after joining
        no_show(member, doctor, days)

    appointment_cancel(actor=ACTOR, appointment=holder)

    first, second = (WaitlistEntry.objects.get(pk=e.pk) for e in entries)
    assert (first.status, first.appointment_id) == ("closed", None)
    assert second.status == "promoted"
    assert second.appointment.profile_id == second.profile_id
    assert not Appointment.objects.filter(profile=member, session=slot.session).exists()
    assert OperationLog.objects.filter(
        action="waitlist.closed", object_id=str(first.pk), summary="booking_restricted"
    ).exists()
    assert Notification.objects.filter(
        dedupe_key=f"waitlist:{first.pk}:waitlist_closed"
    ).exists()
    slot.refresh_from_db()
    assert slot.booked == 1


def test_a_restricted_person_cannot_join_a_waitlist(restricted, doctor):
    """Told at once, with the reason, rather than when a seat comes back."""
    from appointments.services import waitlist_join

    slot = bookable(doctor)
    slot.capacity = 1
    slot.save(update_fields=["capacity"])
    book(slot)

    with pytest.raises(Conflict) as refused:
        waitlist_join(
            actor=ACTOR, user=restricted.user, profile=restricted, session=slot.session
        )

    assert refused.value.code == "booking_restricted"
    assert not WaitlistEntry.objects.filter(profile=restricted).exists()


def _stored_appeal_files(root) -> list:
    folder = root / "appeals"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_an_appeal_whose_save_fails_leaves_no_attachment_file(
    restricted, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    entry = LedgerEntry.objects.first()

    def log_down(**kwargs):
        assert _stored_appeal_files(settings.MEDIA_ROOT)  # written by now
        raise OperationalError("the operation log cannot be written")

    monkeypatch.setattr(ledger_services, "operation_log_write", log_down)
    with pytest.raises(OperationalError):
        ledger_services.appeal_file(
            actor=ACTOR,
            user=restricted.user,
            entry=entry,
            reason="我那天住院了",
            attachment_name="proof.png",
            attachment_content=PNG,
        )

    assert not LedgerAppeal.objects.exists()
    assert _stored_appeal_files(settings.MEDIA_ROOT) == []
    monkeypatch.undo()  # the same appeal, saved: its file stays and opens
    appeal = ledger_services.appeal_file(
        actor=ACTOR,
        user=restricted.user,
        entry=entry,
        reason="我那天住院了",
        attachment_name="proof.png",
        attachment_content=PNG,
    )
    [kept] = _stored_appeal_files(settings.MEDIA_ROOT)
    assert appeal.attachment_storage_name == f"appeals/{kept.name}"
    assert appeal_attachment_content(appeal) == PNG


def test_an_appeal_is_not_filed_inside_a_callers_transaction(
    restricted, settings, tmp_path
):
    """Durable: a caller's transaction rolled back later would orphan the file."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger_services.appeal_file(
            actor=ACTOR,
            user=restricted.user,
            entry=LedgerEntry.objects.first(),
            reason="我那天住院了",
            attachment_name="proof.png",
            attachment_content=PNG,
        )
    assert _stored_appeal_files(settings.MEDIA_ROOT) == []
    assert not LedgerAppeal.objects.exists()
