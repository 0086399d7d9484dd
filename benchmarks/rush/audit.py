"""What the database holds for a session after a rush: no seat sold twice."""

from django.db.models import Count

from appointments.models import Appointment
from scheduling.models import Slot


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


def audit_is_clean(audit: dict[str, int]) -> bool:
    return (
        audit["overbooked_seats"] == 0
        and audit["overbooked_rows"] == 0
        and audit["duplicate_bookings"] == 0
        and audit["queue_numbers_held_twice"] == 0
    )
