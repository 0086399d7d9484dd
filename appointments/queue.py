"""The clinic floor's queue: who is waiting in a session, in the order they are called.

One order everywhere (the desk's "call next", the doctor's workspace, the waiting-room
screen): checked-in patients by queue number. When the hospital's booking rule turns on
members' priority at the visit (`members_first_at_visit`), checked-in patients whose
member level has the privilege (`MemberLevel.visit_priority`) come first, by queue
number among themselves. The level is the booking account's level now, as everywhere
else membership is read.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from accounts.selectors import member_level_ids_with_visit_priority
from appointments.models import Appointment
from scheduling.models import ClinicSession
from scheduling.rules import rule_for_hospital_id

S = Appointment.Status


@dataclass(frozen=True)
class VisitPriority:
    """Which member levels are called first at one hospital (none when the rule is off)."""

    level_ids: frozenset[int]
    entry_level: bool  # a user without a level is at the entry level

    def applies_to(self, appointment: Appointment) -> bool:
        level_id = appointment.user.member_level_id
        if level_id is None:
            return self.entry_level
        return level_id in self.level_ids


NO_PRIORITY = VisitPriority(level_ids=frozenset(), entry_level=False)


def visit_priority_for_hospital(hospital_id: int) -> VisitPriority:
    if not rule_for_hospital_id(hospital_id).members_first_at_visit:
        return NO_PRIORITY
    ids, entry = member_level_ids_with_visit_priority()
    return VisitPriority(level_ids=frozenset(ids), entry_level=entry)


def queue_sorted(
    appointments: Iterable[Appointment], priority: VisitPriority
) -> list[Appointment]:
    """Checked-in appointments in call order (see the module docstring)."""
    return sorted(
        appointments,
        key=lambda a: (not priority.applies_to(a), a.queue_no, a.pk),
    )


def queue_waiting(*, session: ClinicSession) -> list[Appointment]:
    """The session's checked-in patients, in the order they will be called."""
    waiting = Appointment.objects.filter(
        session_id=session.pk, status=S.CHECKED_IN
    ).select_related("user", "profile")
    return queue_sorted(waiting, visit_priority_for_hospital(session.hospital_id))
