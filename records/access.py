"""Who may read and write which medical records: every rule in one place.

- A patient reads the locked records of their own profiles (drafts are the doctor's).
- A doctor writes records only for appointments of their own sessions, and reads their
  own patients' records; earlier records of a patient (the same real person: profiles
  sharing the ID-number lookup hash, on any account) only while that person is on the
  doctor's own list today, and only within the doctor's hospital.
- Hospital staff read the records of their own hospital and add reports to them.
- Everyone else, and every id outside these rules, gets 404: an id never tells whether
  someone else's record exists.

Role checks are accounts' (accounts.permissions: `IsClinician` answers 403 to a logged-in
user of the wrong kind, a patient on the clinicians' endpoints).
"""

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import user_is_doctor, user_is_hospital_staff
from appointments.models import Appointment
from common.errors import NotFound
from records.models import Attachment, RecordVersion, VisitRecord

# Appointments that put a patient on a doctor's list for the day.
ON_LIST = (
    Appointment.Status.BOOKED,
    Appointment.Status.CHECKED_IN,
    Appointment.Status.CALLED,
    Appointment.Status.SKIPPED,
    Appointment.Status.COMPLETED,
)


def _not_found() -> NotFound:
    return NotFound("record_not_found", _("Medical record not found."))


# -- patients ------------------------------------------------------------------------


def records_of_patient(user: User) -> QuerySet[VisitRecord]:
    """The user's own profiles' records that have a locked version."""
    return VisitRecord.objects.filter(
        profile__user=user, versions__locked_at__isnull=False
    ).distinct()


def record_get_for_patient(*, user: User, record_id: int) -> VisitRecord:
    record = records_of_patient(user).filter(pk=record_id).first()
    if record is None:
        raise _not_found()
    return record


def attachment_get_for_patient(*, user: User, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("report__record")
        .filter(pk=attachment_id, report__record__in=records_of_patient(user))
        .first()
    )
    if attachment is None:
        raise NotFound("attachment_not_found", _("Attachment not found."))
    return attachment


# -- doctors and staff ---------------------------------------------------------------


def persons_on_list_today(user: User) -> QuerySet:
    """The lookup hashes of the people on the doctor's own list today."""
    return Appointment.objects.filter(
        doctor__user=user,
        session__date=timezone.localdate(),
        status__in=ON_LIST,
    ).values("profile__id_card_hash")


def records_readable_by(user: User) -> QuerySet[VisitRecord]:
    if user_is_hospital_staff(user):
        return VisitRecord.objects.filter(hospital_id=user.hospital_id)
    if user_is_doctor(user):
        return VisitRecord.objects.filter(hospital_id=user.hospital_id).filter(
            Q(doctor__user=user) | Q(person_hash__in=persons_on_list_today(user))
        )
    return VisitRecord.objects.none()


def record_get_for_clinician(*, user: User, record_id: int) -> VisitRecord:
    record = records_readable_by(user).filter(pk=record_id).first()
    if record is None:
        raise _not_found()
    return record


def attachment_get_for_clinician(*, user: User, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("report__record")
        .filter(pk=attachment_id, report__record__in=records_readable_by(user))
        .first()
    )
    if attachment is None:
        raise NotFound("attachment_not_found", _("Attachment not found."))
    return attachment


def appointment_get_for_writing(*, user: User, appointment_id: int) -> Appointment:
    """An appointment of the doctor's own sessions (locked for update by the caller)."""
    appointment = (
        Appointment.objects.select_related("profile", "doctor")
        .filter(pk=appointment_id, doctor__user=user, hospital_id=user.hospital_id)
        .first()
        if user_is_doctor(user)
        else None
    )
    if appointment is None:
        raise NotFound("appointment_not_found", _("Appointment not found."))
    return appointment


def appointment_get_for_history(*, user: User, appointment_id: int) -> Appointment:
    """The appointment whose patient's earlier records a clinician asks for: a doctor's
    own appointment today, or any appointment of the staff member's hospital."""
    queryset = Appointment.objects.select_related("profile")
    if user_is_doctor(user):
        queryset = queryset.filter(
            doctor__user=user,
            hospital_id=user.hospital_id,
            session__date=timezone.localdate(),
            status__in=ON_LIST,
        )
    elif user_is_hospital_staff(user):
        queryset = queryset.filter(hospital_id=user.hospital_id)
    else:
        queryset = queryset.none()
    appointment = queryset.filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFound("appointment_not_found", _("Appointment not found."))
    return appointment


def record_get_for_writing(*, user: User, record_id: int) -> VisitRecord:
    """A record the doctor writes: one of their own appointments."""
    record = (
        VisitRecord.objects.filter(
            pk=record_id, doctor__user=user, hospital_id=user.hospital_id
        ).first()
        if user_is_doctor(user)
        else None
    )
    if record is None:
        raise _not_found()
    return record


def record_get_for_report(*, user: User, record_id: int) -> VisitRecord:
    """A record a report is added to: the doctor's own, or any of the staff's hospital."""
    if user_is_hospital_staff(user):
        queryset = VisitRecord.objects.filter(hospital_id=user.hospital_id)
    elif user_is_doctor(user):
        queryset = VisitRecord.objects.filter(
            doctor__user=user, hospital_id=user.hospital_id
        )
    else:
        queryset = VisitRecord.objects.none()
    record = queryset.filter(pk=record_id).first()
    if record is None:
        raise _not_found()
    return record


def version_visible_to_patient(version: RecordVersion) -> bool:
    return version.is_locked
