"""Pure time rules of a hospital's booking policy. Every result is an aware datetime.

Times in a BookingRule are the hospital's local wall-clock times (settings.TIME_ZONE).
"""

import datetime

from django.utils import timezone

from scheduling.models import BookingRule, ClinicSession, Slot


def local_datetime(date: datetime.date, time: datetime.time) -> datetime.datetime:
    """The aware datetime of a local date and wall-clock time."""
    return timezone.make_aware(datetime.datetime.combine(date, time))


def rule_for_hospital_id(hospital_id: int) -> BookingRule:
    """The hospital's rule, or the defaults (unsaved) when staff never edited it."""
    rule = BookingRule.objects.filter(hospital_id=hospital_id).first()
    return rule or BookingRule(hospital_id=hospital_id)


def release_at(rule: BookingRule, date: datetime.date) -> datetime.datetime:
    """When sessions on `date` open: release time on the day the date enters the window.

    With a 7-day window and an 08:00 release, Monday's sessions open at 08:00 on the Monday
    before, and stay bookable until the cutoff.
    """
    opens_on = date - datetime.timedelta(days=rule.window_days)
    return local_datetime(opens_on, rule.release_time)


def booking_opens_at(
    release_at: datetime.datetime, *, priority_hours: int
) -> datetime.datetime:
    """The first moment a caller may book a session released at `release_at`.

    `priority_hours`: how long before the public release the caller's member level may
    book (0: no early booking, the caller waits for the release). Booking refuses before
    this moment; the availability API shows it as `can_book_from`.
    """
    if priority_hours <= 0:
        return release_at
    return release_at - datetime.timedelta(hours=priority_hours)


def priority_quota(capacity: int, share: float) -> int:
    """The seats of a session members may take before its release: their level's share
    of all its seats, in whole seats rounded down. Booking enforces it
    (appointments' priority_quota_check); the session lists show what is left of it."""
    return int(capacity * share)


def booking_cutoff_at(
    rule: BookingRule, slot: Slot, session: ClinicSession
) -> datetime.datetime:
    """The last moment a slot may be booked (exclusive: booking at this instant is refused)."""
    if rule.cutoff_mode == BookingRule.CutoffMode.PREVIOUS_EVENING:
        return local_datetime(
            session.date - datetime.timedelta(days=1), rule.cutoff_time
        )
    return slot.starts_at - datetime.timedelta(minutes=rule.cutoff_minutes)


def cancel_deadline_at(
    rule: BookingRule, slot_starts_at: datetime.datetime
) -> datetime.datetime:
    """The last moment a patient may cancel (exclusive)."""
    return slot_starts_at - datetime.timedelta(minutes=rule.cancel_deadline_minutes)


def checkin_window(
    rule: BookingRule, starts_at: datetime.datetime, ends_at: datetime.datetime
):
    """(opens, closes): a patient may check in from `opens` until the slot ends."""
    return starts_at - datetime.timedelta(minutes=rule.checkin_open_minutes), ends_at


def split_into_slots(
    *,
    date: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    slot_minutes: int,
    seats_per_slot: int,
) -> list[tuple[datetime.datetime, datetime.datetime, int]]:
    """Split a session into time slots (分时段): [(starts_at, ends_at, seats), ...].

    Slots are `slot_minutes` long from the start. When the session does not divide evenly,
    the remainder becomes a final short slot if it is at least half a slot long, with
    seats in proportion to its length (rounded half up, at least one); a shorter remainder
    is added to the last full slot instead, so the slots always cover the whole session and
    no slot is shorter than half the usual length. A session shorter than one slot is one
    slot with proportional seats.
    """
    starts = local_datetime(date, start_time)
    ends = local_datetime(date, end_time)
    if ends <= starts or slot_minutes < 1 or seats_per_slot < 1:
        return []
    length = datetime.timedelta(minutes=slot_minutes)
    slots: list[tuple[datetime.datetime, datetime.datetime, int]] = []
    current = starts
    while current + length <= ends:
        slots.append((current, current + length, seats_per_slot))
        current += length
    remainder = ends - current
    if remainder:
        if not slots or remainder * 2 >= length:
            seats = max(1, (seats_per_slot * remainder * 2 + length) // (length * 2))
            slots.append((current, ends, seats))
        else:
            first, _, seats = slots[-1]
            slots[-1] = (first, ends, seats)
    return slots
