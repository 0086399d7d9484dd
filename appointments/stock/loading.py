"""What the stock holds, read from the database, and loading it into Redis.

A slot's free seats in the stock are its capacity less its booked seats less its queued
tickets (each already holds a seat it won); a session's marked profiles are those holding a
seat in it or queued for one. Sessions are loaded ahead of their release
(settings.BOOKING_STOCK_PRELOAD_MINUTES), so the refusals before release need no database
either, and stay loaded until their last slot ends. Loading never overwrites a loaded
session: the changes after loading arrive as deltas (appointments.stock.deltas), and
drift is the reconciler's (appointments.stock.reconcile).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.models import PatientProfile
from accounts.selectors import (
    Privileges,
    member_levels,
    member_priority_hours_for_user_id,
)
from appointments.models import Appointment, BookingTicket, RebookingOffer
from appointments.stock import keys
from appointments.stock.client import (
    ERRORS,
    stock_client,
    stock_enabled,
    stock_failed,
)
from appointments.stock.scripts import scripts
from scheduling.models import BookingRule, ClinicSession, Slot
from scheduling.rules import booking_cutoff_at

# Loaded sessions are kept this long after their last slot ends, then expire by themselves.
KEEP_AFTER_END = datetime.timedelta(hours=1)


@dataclass
class SlotStock:
    slot_id: int
    free: int
    start: float
    cut: float


@dataclass
class SessionStock:
    session_id: int
    state: str  # "open", "stopped" or "unavailable" (doctor inactive, hospital closed)
    release: float
    early: float
    expire_at: int
    # The release queue's gate end (Unix seconds) for a session in the queue, else None.
    queue_closes: float | None = None
    profiles: set[int] = field(default_factory=set)
    slots: list[SlotStock] = field(default_factory=list)


def longest_priority_hours() -> int:
    """The longest priority window of any member level (hours before release)."""
    return max(
        (Privileges.of_level(level).priority_hours for level in member_levels()),
        default=0,
    )


def session_state(session: ClinicSession) -> str:
    if session.status != ClinicSession.Status.OPEN:
        return "stopped"
    if not session.doctor.is_active or not session.hospital.is_open:
        return "unavailable"
    return "open"


def queue_closes_at(session: ClinicSession) -> float | None:
    """The end of the release queue's gate (Unix seconds) for a session in the queue:
    RELEASE_QUEUE_MINUTES after its release. None for any other session."""
    if not session.release_queue:
        return None
    minutes = datetime.timedelta(minutes=settings.RELEASE_QUEUE_MINUTES)
    return (session.release_at + minutes).timestamp()


def sessions_stock_read(session_ids: list[int]) -> list[SessionStock]:
    """The stock of these sessions as the database has it now (a fixed number of queries)."""
    sessions = list(
        ClinicSession.objects.filter(pk__in=session_ids).select_related(
            "doctor", "hospital"
        )
    )
    if not sessions:
        return []
    rules = {
        rule.hospital_id: rule
        for rule in BookingRule.objects.filter(
            hospital_id__in={s.hospital_id for s in sessions}
        )
    }
    slots_by_session: dict[int, list[Slot]] = defaultdict(list)
    for slot in Slot.objects.filter(session_id__in=session_ids).order_by("pk"):
        slots_by_session[slot.session_id].append(slot)
    queued = dict(
        BookingTicket.objects.filter(
            session_id__in=session_ids, status=BookingTicket.Status.QUEUED
        )
        .values("slot_id")
        .annotate(n=Count("id"))
        .values_list("slot_id", "n")
    )
    profiles: dict[int, set[int]] = defaultdict(set)
    for session_id, profile_id in Appointment.objects.filter(
        session_id__in=session_ids, holds_seat=True
    ).values_list("session_id", "profile_id"):
        profiles[session_id].add(profile_id)
    for session_id, profile_id in BookingTicket.objects.filter(
        session_id__in=session_ids, status=BookingTicket.Status.QUEUED
    ).values_list("session_id", "profile_id"):
        profiles[session_id].add(profile_id)
    # An open rebooking offer holds its seat for the stopped booking's patient (its
    # slot's booked count includes it, as a booking's does), so that patient is marked
    # in the offered session, as the delta of the offer's seat take marked them.
    for session_id, profile_id in RebookingOffer.objects.filter(
        slot__session_id__in=session_ids, status=RebookingOffer.Status.OPEN
    ).values_list("slot__session_id", "appointment__profile_id"):
        profiles[session_id].add(profile_id)
    early_hours = longest_priority_hours()
    stocks = []
    for session in sessions:
        rule = rules.get(session.hospital_id) or BookingRule(
            hospital_id=session.hospital_id
        )
        slots = slots_by_session[session.pk]
        ends = max((slot.ends_at for slot in slots), default=timezone.now())
        stocks.append(
            SessionStock(
                session_id=session.pk,
                state=session_state(session),
                release=session.release_at.timestamp(),
                early=(
                    session.release_at - datetime.timedelta(hours=early_hours)
                ).timestamp(),
                expire_at=int((ends + KEEP_AFTER_END).timestamp()),
                queue_closes=queue_closes_at(session),
                profiles=profiles[session.pk],
                slots=[
                    SlotStock(
                        slot_id=slot.pk,
                        free=slot.capacity - slot.booked - queued.get(slot.pk, 0),
                        start=slot.starts_at.timestamp(),
                        cut=min(
                            booking_cutoff_at(rule, slot, session), slot.starts_at
                        ).timestamp(),
                    )
                    for slot in slots
                ],
            )
        )
    return stocks


def _session_args(stock: SessionStock) -> list[object]:
    """The session's fields as the LOAD and REFRESH scripts take them first."""
    return [
        stock.session_id,
        stock.state,
        repr(stock.release),
        repr(stock.early),
        # Kept for a while (EXPIRE), not until an instant (EXPIREAT): this process's clock
        # decides, never the Redis server's (a skew, or a test's travelled clock).
        max(1, stock.expire_at - int(timezone.now().timestamp())),
        "" if stock.queue_closes is None else repr(stock.queue_closes),
    ]


def _slot_args(stock: SessionStock) -> list[object]:
    """Each slot's free seats, start and cutoff, as both scripts take them last."""
    return [
        value
        for slot in stock.slots
        for value in (slot.free, repr(slot.start), repr(slot.cut))
    ]


def session_stock_write(stock: SessionStock) -> bool:
    """Load one session unless it is loaded already. True if it was loaded now."""
    profiles = sorted(stock.profiles)
    args = [*_session_args(stock), len(profiles), *profiles, *_slot_args(stock)]
    return bool(
        scripts().load(
            keys=[
                keys.session_key(stock.session_id),
                keys.profiles_key(stock.session_id),
                keys.loaded_key(),
                *(keys.slot_key(slot.slot_id) for slot in stock.slots),
            ],
            args=args,
        )
    )


def session_fields_write(stock: SessionStock) -> bool:
    """Write a loaded session's state, release and slot times again (and add slots new
    since the load); its free seats stay as they are. False when it is not loaded."""
    args = [*_session_args(stock), *_slot_args(stock)]
    return bool(
        scripts().refresh(
            keys=[
                keys.session_key(stock.session_id),
                *(keys.slot_key(slot.slot_id) for slot in stock.slots),
            ],
            args=args,
        )
    )


def sessions_stock_load(session_ids: list[int]) -> int:
    """Load these sessions (those not loaded yet). Returns how many were loaded now."""
    loaded = 0
    for start in range(0, len(session_ids), 200):
        for stock in sessions_stock_read(session_ids[start : start + 200]):
            loaded += session_stock_write(stock)
    return loaded


def sessions_due(now: datetime.datetime) -> list[int]:
    """The sessions the stock should hold now: open, released or releasing within
    BOOKING_STOCK_PRELOAD_MINUTES, with a slot still to start."""
    horizon = now + datetime.timedelta(minutes=settings.BOOKING_STOCK_PRELOAD_MINUTES)
    return list(
        ClinicSession.objects.filter(
            status=ClinicSession.Status.OPEN,
            release_at__lte=horizon,
            date__gte=timezone.localdate(now) - datetime.timedelta(days=1),
        )
        .annotate(last_start=Max("slots__starts_at"))
        .filter(last_start__gt=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def stock_preload(*, now: datetime.datetime | None = None) -> int:
    """Load every session due and not loaded (the periodic job, and after a Redis
    restart or flush: the rebuild). Returns how many were loaded now."""
    return sessions_stock_load(sessions_due(now or timezone.now()))


def user_stock_load(*, user_id: int) -> bool:
    """Put the user's profiles and priority window into the stock. False when there is
    no such active user (the caller answers as authentication does)."""
    hours = member_priority_hours_for_user_id(user_id=user_id)
    if hours is None:
        return False
    profile_ids = PatientProfile.objects.filter(
        Q(user_id=user_id) & Q(is_active=True)
    ).values_list("pk", flat=True)
    mapping = {"ph": hours, **{f"p{pk}": 1 for pk in profile_ids}}
    key = keys.user_key(user_id)
    pipe = stock_client().pipeline(transaction=True)
    pipe.delete(key)
    pipe.hset(key, mapping=mapping)
    pipe.expire(key, keys.USER_SECONDS)
    pipe.execute()
    return True


def user_stock_forget(*, user_id: int) -> None:
    """The user's profiles or level changed: read them again at the next booking."""
    if not stock_enabled():
        return
    try:
        stock_client().delete(keys.user_key(user_id))
    except ERRORS as exc:
        # The entry expires within USER_SECONDS; the writer checks the profile anyway.
        stock_failed(exc)
