"""Writing medical records: the doctor's draft, signing, corrections, the automatic lock.

Every write locks the appointment's row, then the record's (records.services.locking),
so two saves of one draft, or a save racing the automatic lock, happen one after the
other; each leaves an operation-log row in its transaction. A locked version is never changed: a correction is
a new version on top, and the model refuses any save of a locked row (records.models).
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment
from appointments.services.notify import appointment_notify
from common.errors import Conflict, DomainError, NotFound
from common.services import Actor, operation_log_write
from hospitals.models import Doctor
from records.errors import ErrorCode, RecordLocked
from records.models import RecordVersion, VisitRecord
from records.services.content import RecordContent, content_apply, content_normalise
from records.services.locking import record_lock

# The patient is at the clinic: waiting, in the consulting room (called), or seen.
SEEN = (
    Appointment.Status.CHECKED_IN,
    Appointment.Status.CALLED,
    Appointment.Status.COMPLETED,
)


def _author_check(*, actor: Actor, doctor_id: int) -> None:
    """Only the appointment's own doctor writes its record, whatever path calls this
    (records.access decides it for the API; this holds it for every other caller)."""
    user = actor.user
    if user is None or not Doctor.objects.filter(pk=doctor_id, user=user).exists():
        raise NotFound("record_not_found", _("Medical record not found."))


def _latest(record: VisitRecord) -> RecordVersion | None:
    return record.versions.order_by("-number").first()


def _record_ready_notify(record: VisitRecord) -> None:
    appointment_notify(
        appointment=record.appointment,
        event="record_ready",
        dedupe_key=f"record:{record.pk}:ready",
    )


def record_draft_save(
    *, actor: Actor, appointment: Appointment, content: RecordContent
) -> RecordVersion:
    """Create the appointment's record, or change its draft. The caller has checked that
    the actor is the appointment's doctor (records.access)."""
    _author_check(actor=actor, doctor_id=appointment.doctor_id)
    content = content_normalise(content)
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status not in SEEN:
            raise Conflict(
                ErrorCode.APPOINTMENT_NOT_CHECKED_IN,
                _("The patient has not checked in for this appointment."),
            )
        record = (
            VisitRecord.objects.select_for_update()
            .filter(appointment=appointment)
            .first()
        )
        if record is None:
            record = VisitRecord(
                appointment=appointment,
                hospital_id=appointment.hospital_id,
                doctor_id=appointment.doctor_id,
                profile_id=appointment.profile_id,
                person_hash=appointment.profile.id_card_hash,
                visit_at=appointment.visit_starts_at,
            )
            record.full_clean()
            record.save()
            version = RecordVersion(record=record, number=1, author=actor.user)
        else:
            version = _latest(record)
            if version.is_locked:
                raise RecordLocked()
            version.author = actor.user
        content_apply(version, content)
        version.full_clean()
        version.save()
        operation_log_write(
            actor=actor,
            action="record.draft_saved",
            obj=record,
            summary=f"version {version.number}",
        )
    return version


def record_sign(*, actor: Actor, record: VisitRecord) -> RecordVersion:
    """Sign the draft: it is locked for good, and the patient is told it is ready."""
    _author_check(actor=actor, doctor_id=record.doctor_id)
    with transaction.atomic():
        record = record_lock(record.pk)
        version = _latest(record)
        if version.is_locked:
            raise RecordLocked()
        if not (version.chief_complaint or version.diagnoses):
            raise DomainError(
                ErrorCode.RECORD_EMPTY,
                _("Write a chief complaint or a diagnosis before signing."),
            )
        version.status = RecordVersion.Status.SIGNED
        version.locked_at = timezone.now()
        version.save()
        operation_log_write(
            actor=actor,
            action="record.signed",
            obj=record,
            summary=f"version {version.number}",
        )
        _record_ready_notify(record)
    return version


def record_correct(
    *, actor: Actor, record: VisitRecord, content: RecordContent, reason: str
) -> RecordVersion:
    """A correction of a locked record: a new, signed version; the old ones stay."""
    _author_check(actor=actor, doctor_id=record.doctor_id)
    reason = reason.strip()
    if not reason:
        raise DomainError(
            "correction_reason_required",
            _("Say why the record is corrected."),
            fields={"reason": [str(_("This field may not be blank."))]},
        )
    content = content_normalise(content)
    with transaction.atomic():
        record = record_lock(record.pk)
        latest = _latest(record)
        if not latest.is_locked:
            raise Conflict(
                ErrorCode.RECORD_NOT_LOCKED,
                _("The record is still a draft: change the draft instead."),
            )
        version = RecordVersion(
            record=record,
            number=latest.number + 1,
            author=actor.user,
            status=RecordVersion.Status.SIGNED,
            locked_at=timezone.now(),
        )
        content_apply(version, content)
        version.correction_reason = reason
        version.full_clean()
        version.save()
        operation_log_write(
            actor=actor,
            action="record.corrected",
            obj=record,
            summary=f"version {version.number}",
        )
    return version


def records_auto_lock(*, now: datetime.datetime | None = None) -> int:
    """Lock every draft whose visit was RECORD_AUTO_LOCK_HOURS ago or more; the number
    locked. Each draft is locked in its own short transaction (the record's row lock,
    then a compare-and-set on the draft), so a doctor's save in between wins or waits."""
    now = now or timezone.now()
    due = now - datetime.timedelta(hours=settings.RECORD_AUTO_LOCK_HOURS)
    record_ids = list(
        RecordVersion.objects.filter(
            status=RecordVersion.Status.DRAFT, record__visit_at__lte=due
        )
        .order_by("record_id")
        .values_list("record_id", flat=True)
    )
    locked = 0
    for record_id in record_ids:
        with transaction.atomic():
            record = record_lock(record_id)
            changed = RecordVersion.objects.filter(
                record=record, status=RecordVersion.Status.DRAFT
            ).update(status=RecordVersion.Status.AUTO_LOCKED, locked_at=now)
            if not changed:
                continue
            locked += changed
            operation_log_write(
                actor=Actor.system(), action="record.auto_locked", obj=record
            )
            _record_ready_notify(record)
    return locked
