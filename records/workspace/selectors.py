"""What the workspace pages read beyond appointments.workspace: seat and check-in counts
per session, and the real names of a session's patients for the people who work it."""

import datetime

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from appointments.models import Appointment
from appointments.workspace import workspace_sessions
from scheduling.models import ClinicSession, Slot


def _per_session(qs: QuerySet, aggregate) -> Coalesce:
    sub = qs.values("session_id").annotate(n=aggregate).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


def sessions_for_page(
    *, user: User, date_from: datetime.date, date_to: datetime.date
) -> QuerySet[ClinicSession]:
    """workspace_sessions (the API's selector and scope) plus seats, booked, checked in."""
    slots = Slot.objects.filter(session_id=OuterRef("pk"))
    checked_in = Appointment.objects.filter(
        session_id=OuterRef("pk"), holds_seat=True, checked_in_at__isnull=False
    )
    return (
        workspace_sessions(user=user, date_from=date_from, date_to=date_to)
        .select_related("room")
        .annotate(
            seats=_per_session(slots, Sum("capacity")),
            booked_count=_per_session(slots, Sum("booked")),
            checked_in_count=_per_session(checked_in, Count("pk")),
        )
    )


def patient_names(*, session: ClinicSession) -> dict[int, str]:
    """appointment id -> the patient's full name, for a session the caller may work
    (appointments.selectors.session_get_for_clinic_user has been asked first)."""
    return {
        a.pk: a.profile.name
        for a in Appointment.objects.filter(session_id=session.pk).select_related(
            "profile"
        )
    }
