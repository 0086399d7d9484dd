"""The record of an online consult (在线问诊): the doctor's advice, shown in the patient's
records beside their clinic visits.

The consult app (the layer above) calls this; records only knows the consult by its id.
Each write of the advice is a new signed version (a locked version is never changed, as
for a visit's record), so the patient sees it at once and every earlier advice stays.
The caller holds the consult's row lock, so two writes of one consult's advice queue:
the record row, then the version insert, then the operation log.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import PatientProfile
from common.services import Actor, operation_log_write
from hospitals.models import Doctor
from records.models import RecordVersion, VisitRecord
from records.services.records import _author_check

CHIEF_COMPLAINT_MAX = 500


def consult_record_advice_write(
    *,
    actor: Actor,
    consult_id: int,
    doctor: Doctor,
    profile: PatientProfile,
    consulted_at: datetime.datetime,
    problem: str,
    advice: str,
) -> RecordVersion:
    """Write (or rewrite, as a new version) the advice of an online consult's record.

    The record is created on the first write: the consult's doctor, hospital and patient,
    the patient's question as the chief complaint. Only the consult's doctor writes it."""
    _author_check(actor=actor, doctor_id=doctor.pk)
    with transaction.atomic():
        record = (
            VisitRecord.objects.select_for_update()
            .filter(consult_id=consult_id)
            .first()
        )
        if record is None:
            record = VisitRecord(
                kind=VisitRecord.Kind.ONLINE_CONSULT,
                consult_id=consult_id,
                hospital_id=doctor.hospital_id,
                doctor=doctor,
                profile=profile,
                person_hash=profile.id_card_hash,
                visit_at=consulted_at,
            )
            record.full_clean()
            record.save()
            number = 1
        else:
            latest = record.versions.order_by("-number").first()
            number = latest.number + 1 if latest else 1
        now = timezone.now()
        version = RecordVersion(
            record=record,
            number=number,
            author=actor.user,
            status=RecordVersion.Status.SIGNED,
            locked_at=now,
        )
        version.chief_complaint = problem.strip()[:CHIEF_COMPLAINT_MAX]
        version.advice = advice.strip()
        version.full_clean()
        version.save()
        operation_log_write(
            actor=actor,
            action="record.consult_advice",
            obj=record,
            summary=f"consult {consult_id}, version {number}",
        )
    return version
