"""After a booking phase: no seat sold twice, and every patient told the truth.

`session_audit` counts what the database holds for the session; `answers_audit` compares
it with what each patient was told (benchmarks/rush/verdicts.py): lost = told yes without
a committed appointment at the end; phantom = a committed appointment whose patient was
told no; queued = a ticket still queued when the polling stopped. Every one must be 0.
"""

from collections import Counter
from collections.abc import Mapping

from django.db.models import Count

from appointments.models import Appointment
from benchmarks.rush.verdicts import NO, YES, Told
from scheduling.models import Slot

# The figures that must all be 0 after a phase (the run fails otherwise).
MUST_BE_ZERO = (
    "overbooked_seats",
    "overbooked_rows",
    "duplicate_bookings",
    "queue_numbers_held_twice",
    "lost",
    "phantom",
    "queued",
)


def session_audit(*, session_id: int) -> dict[str, int]:
    """What the database holds for one session after a rush; every "bad" figure must be 0.

    Counted from the appointment rows by status, not through the unique keys or the
    holds_seat column the booking relies on, so a broken key would show here.
    """
    slots = list(
        Slot.objects.filter(session_id=session_id).values("pk", "capacity", "booked")
    )
    active = Appointment.objects.filter(
        session_id=session_id, status__in=Appointment.UPCOMING
    )
    rows_per_slot = dict(
        active.order_by()
        .values_list("slot_id")
        .annotate(n=Count("pk"))
        .values_list("slot_id", "n")
    )
    per_profile = (
        active.order_by().values("profile_id").annotate(n=Count("pk")).filter(n__gt=1)
    )
    per_queue_no = (
        active.order_by().values("queue_no").annotate(n=Count("pk")).filter(n__gt=1)
    )
    return {
        "capacity": sum(s["capacity"] for s in slots),
        "booked_counter": sum(s["booked"] for s in slots),
        "appointments": active.count(),
        # The slot counters above capacity (the check constraint forbids it; counted anyway).
        "overbooked_seats": sum(max(0, s["booked"] - s["capacity"]) for s in slots),
        # Appointment rows beyond each slot's capacity, whatever the counters say.
        "overbooked_rows": sum(
            max(0, rows_per_slot.get(s["pk"], 0) - s["capacity"]) for s in slots
        ),
        "duplicate_bookings": sum(row["n"] - 1 for row in per_profile),
        "queue_numbers_held_twice": len(per_queue_no),
        "counter_mismatches": sum(
            1 for s in slots if s["booked"] != rows_per_slot.get(s["pk"], 0)
        ),
    }


def committed_profiles(*, session_id: int) -> Counter[int]:
    """How many committed (seat-holding, upcoming) appointments each profile has."""
    return Counter(
        Appointment.objects.filter(
            session_id=session_id, status__in=Appointment.UPCOMING
        ).values_list("profile_id", flat=True)
    )


def answers_audit(
    told_by_profile: Mapping[int, Told], committed: Mapping[int, int]
) -> dict[str, int]:
    """What the patients were told against the appointments committed at the end.

    told_by_profile: each patient profile's verdict (one booking per profile);
    committed: each profile's committed appointments in the session.
    unanswered_committed (a figure, not a failure): appointments of patients told nothing
    (an error, a timeout, not sent): the client cannot say whether they were promised.
    """
    return {
        "lost": sum(
            1
            for p, verdict in told_by_profile.items()
            if verdict in YES and not committed.get(p)
        ),
        "phantom": sum(
            1
            for p, verdict in told_by_profile.items()
            if verdict in NO and committed.get(p)
        ),
        "queued": sum(
            1 for verdict in told_by_profile.values() if verdict == Told.QUEUED
        ),
        "unanswered_committed": sum(
            1
            for p, n in committed.items()
            if n and told_by_profile.get(p, Told.NOTHING) == Told.NOTHING
        ),
    }


def audit_is_clean(audit: Mapping[str, int]) -> bool:
    """Every figure of MUST_BE_ZERO that the audit holds is 0."""
    return all(audit.get(key, 0) == 0 for key in MUST_BE_ZERO)
