import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.errors import ErrorCode
from appointments.models import Appointment, BookingTicket, WaitlistEntry
from common.errors import NotFound
from scheduling.errors import ErrorCode as SchedulingError
from scheduling.models import ClinicSession, Slot


def appointment_list_for_user(
    *, user: User, status: str | None = None
) -> QuerySet[Appointment]:
    qs = Appointment.objects.filter(user=user).select_related(
        "profile", "doctor", "hospital", "doctor__department"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-visit_starts_at", "-pk")


def appointment_get_for_user(*, user: User, appointment_id: int) -> Appointment:
    """The user's own appointment; anyone else's id answers 404, never their data."""
    appointment = (
        appointment_list_for_user(user=user)
        .select_related("slot", "session")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise NotFound(ErrorCode.APPOINTMENT_NOT_FOUND)
    return appointment


def booking_ticket_get_for_user(*, user: User, ticket_id: int) -> BookingTicket:
    """The user's own booking ticket; anyone else's id answers 404."""
    ticket = BookingTicket.objects.filter(pk=ticket_id, user_id=user.pk).first()
    if ticket is None:
        raise NotFound(ErrorCode.TICKET_NOT_FOUND, _("Booking ticket not found."))
    return ticket


def waitlist_list_for_user(*, user: User) -> QuerySet[WaitlistEntry]:
    return (
        WaitlistEntry.objects.filter(user=user)
        .select_related("profile", "session", "session__doctor", "appointment")
        .order_by("-created_at", "-pk")
    )


def waitlist_entry_get_for_user(*, user: User, entry_id: int) -> WaitlistEntry:
    entry = waitlist_list_for_user(user=user).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(ErrorCode.WAITLIST_ENTRY_NOT_FOUND)
    return entry


def appointment_day_list(
    *, hospital_id: int | None, doctor_id: int, date
) -> QuerySet[Appointment]:
    """A doctor's appointments on one day, in queue order, for staff."""
    qs = Appointment.objects.filter(
        doctor_id=doctor_id, session__date=date
    ).select_related("profile", "slot")
    if hospital_id is not None:
        qs = qs.filter(hospital_id=hospital_id)
    return qs.order_by("visit_starts_at", "queue_no")


def appointment_holds_due(*, now: datetime.datetime) -> QuerySet[Appointment]:
    """Unpaid appointments whose hold has passed, oldest first (for the hold-expiry job)."""
    return Appointment.objects.filter(
        status=Appointment.Status.PENDING_PAYMENT, hold_expires_at__lte=now
    ).order_by("hold_expires_at", "pk")


def slot_get_for_booking(*, slot_id: int) -> Slot:
    slot = (
        Slot.objects.select_related("session", "session__doctor", "session__hospital")
        .filter(pk=slot_id)
        .first()
    )
    if slot is None:
        raise NotFound(ErrorCode.SLOT_NOT_FOUND)
    return slot


def session_get_for_waitlist(*, session_id: int) -> ClinicSession:
    session = (
        ClinicSession.objects.select_related("doctor", "hospital")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise NotFound(SchedulingError.SESSION_NOT_FOUND)
    return session


# -- the clinic floor: what a doctor or staff member may reach -----------------------------


def _clinic_scope(qs: QuerySet, *, user: User, doctor_path: str) -> QuerySet:
    """Platform admins see every hospital; hospital staff their hospital; a doctor only
    their own sessions (hospitals.Doctor.user); anyone else nothing."""
    if user.sees_every_hospital:
        return qs
    if user.role == User.Role.HOSPITAL_STAFF and user.hospital_id is not None:
        return qs.filter(hospital_id=user.hospital_id)
    if user.role == User.Role.DOCTOR and user.hospital_id is not None:
        return qs.filter(hospital_id=user.hospital_id, **{doctor_path: user})
    return qs.none()


def session_list_for_clinic_user(*, user: User) -> QuerySet[ClinicSession]:
    qs = ClinicSession.objects.select_related("doctor", "doctor__department")
    return _clinic_scope(qs, user=user, doctor_path="doctor__user")


def session_get_for_clinic_user(*, user: User, session_id: int) -> ClinicSession:
    """A session the user works; another hospital's or another doctor's answers 404."""
    session = session_list_for_clinic_user(user=user).filter(pk=session_id).first()
    if session is None:
        raise NotFound(SchedulingError.SESSION_NOT_FOUND)
    return session


def appointment_get_for_clinic_user(*, user: User, appointment_id: int) -> Appointment:
    """An appointment in a session the user works; anything else answers 404."""
    qs = Appointment.objects.select_related(
        "profile", "session", "user", "slot", "doctor", "hospital", "doctor__department"
    )
    appointment = (
        _clinic_scope(qs, user=user, doctor_path="session__doctor__user")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise NotFound(ErrorCode.APPOINTMENT_NOT_FOUND)
    return appointment
