"""Reads of the schedule: what a patient can book, cached per doctor for a few seconds."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import member_privileges_for_user
from common.errors import NotFound
from hospitals.cache import catalog_value
from hospitals.errors import ErrorCode as HospitalsError
from hospitals.models import Doctor
from scheduling import rules
from scheduling.errors import ErrorCode
from scheduling.models import ClinicSession, Slot
from scheduling.services import availability_versions


def doctor_get_bookable(*, doctor_id: int) -> Doctor:
    """An active doctor of an open hospital, or NotFound.

    Cached under the hospital catalog's version (hospitals.cache.catalog_value): whether
    a doctor is active and their hospital open, and the doctor's row, change only through
    hospitals.services, which bumps it. A read that finds it cached costs no query.
    """
    doctor = catalog_value(
        f"scheduling:bookable-doctor:{doctor_id}",
        lambda: Doctor.objects.filter(
            pk=doctor_id, is_active=True, hospital__is_open=True
        ).first(),
    )
    if doctor is None:
        raise NotFound(HospitalsError.DOCTOR_NOT_FOUND, _("Doctor not found."))
    return doctor


def _room_data(session: ClinicSession) -> dict | None:
    room = session.room
    if room is None:
        return None
    return {
        "id": room.pk,
        "name": room.name,
        "floor": room.floor,
        "building": room.building,
    }


def _doctor_day_left(
    *, doctor: Doctor, today: datetime.date
) -> dict[datetime.date, int] | None:
    """Places left under the doctor's daily cap per date from `today` (None: no cap).

    The cap (appointments.services.doctor_cap) counts every booking of the date that
    holds a seat, which is the seats taken in the doctor's open sessions of the date.
    A date with no booking yet is missing: the whole cap is left.
    """
    cap = doctor.max_patients_per_day
    if cap is None:
        return None
    taken = (
        Slot.objects.filter(
            session__doctor_id=doctor.pk,
            session__status=ClinicSession.Status.OPEN,
            session__date__gte=today,
        )
        .values("session__date")
        .annotate(taken=Sum("booked"))
    )
    return defaultdict(
        lambda: cap,
        {row["session__date"]: max(cap - row["taken"], 0) for row in taken},
    )


def _bounded(seats: int, left_today: int | None) -> int:
    return seats if left_today is None else min(seats, left_today)


def _availability_build(
    *, doctor: Doctor, now: datetime.datetime
) -> tuple[list[dict], datetime.datetime]:
    """The doctor's bookable sessions and the moment this answer stops being right.

    A session is shown when it is open and either not released yet (release_at still
    ahead, whatever its date: members may book some of them early, and everyone sees
    when they open) or released and inside the window (today .. today + window_days).
    A slot is shown while its booking cutoff has not passed; a session with no such slot
    is left out. Full slots stay, with 0 seats left, so patients can join the waitlist.
    Seats left are bounded by the doctor's daily cap: when the doctor's day is full,
    every slot of that date shows 0, as booking would refuse it.
    Who may book what now is per caller: sessions_for_caller adds it to this answer.
    """
    rule = rules.rule_for_hospital_id(doctor.hospital_id)
    today = timezone.localdate(now)
    window_end = today + datetime.timedelta(days=rule.window_days)
    # Next local midnight: "today" and the window move on then.
    valid_until = rules.local_datetime(
        today + datetime.timedelta(days=1), datetime.time.min
    )
    sessions = (
        ClinicSession.objects.filter(
            Q(date__lte=window_end) | Q(release_at__gt=now),
            doctor_id=doctor.pk,
            status=ClinicSession.Status.OPEN,
            date__gte=today,
        )
        .order_by("date", "start_time", "pk")
        .select_related("room")
        .prefetch_related(
            Prefetch("slots", queryset=Slot.objects.order_by("starts_at", "pk"))
        )
    )

    day_left = _doctor_day_left(doctor=doctor, today=today)
    result = []
    for session in sessions:
        # The doctor's daily cap (None: no cap) bounds every slot of the date.
        left_today = day_left.get(session.date) if day_left is not None else None
        if session.release_at > now:
            # Released from then on: the answer changes (below, the window test applies).
            valid_until = min(valid_until, session.release_at)
        elif session.date > window_end:
            continue
        slots = []
        for slot in session.slots.all():
            cutoff = rules.booking_cutoff_at(rule, slot, session)
            if now >= cutoff:
                continue
            valid_until = min(valid_until, cutoff)
            slots.append(
                {
                    "id": slot.pk,
                    "starts_at": slot.starts_at,
                    "ends_at": slot.ends_at,
                    "capacity": slot.capacity,
                    "remaining": _bounded(
                        max(slot.capacity - slot.booked, 0), left_today
                    ),
                    "queue_start": slot.queue_start,
                }
            )
        if not slots:
            continue
        result.append(
            {
                "id": session.pk,
                "doctor_id": session.doctor_id,
                "hospital_id": session.hospital_id,
                "date": session.date,
                "period": session.period,
                "period_display": str(session.get_period_display()),
                "start_time": session.start_time,
                "end_time": session.end_time,
                "fee": session.fee,
                "place": session.place,
                "clinic_type": session.clinic_type,
                "clinic_type_display": str(session.get_clinic_type_display()),
                "room": _room_data(session),
                "release_at": session.release_at,
                "release_queue": session.release_queue,
                "remaining": _bounded(
                    sum(slot["remaining"] for slot in slots), left_today
                ),
                # Every slot's seats and bookings (the members' share is of all of them).
                "capacity": sum(slot.capacity for slot in session.slots.all()),
                "booked": sum(slot.booked for slot in session.slots.all()),
                "slots": slots,
            }
        )
    return result, valid_until


def doctor_availability(
    *, doctor: Doctor, now: datetime.datetime | None = None, clinic_type: str = ""
) -> list[dict]:
    """A doctor's bookable sessions with seats left per slot, as plain data.

    `clinic_type` (a ClinicType value) keeps only sessions of that type; the cache holds
    every type, so the filter costs no query.

    Cached for AVAILABILITY_CACHE_SECONDS under the doctor's and hospital's version
    numbers (scheduling.services.availability_changed bumps them), and never past the
    first cutoff, release or midnight that would change the answer: a cached answer
    never shows a slot whose booking has closed.
    """
    sessions, _valid_until = doctor_availability_until(
        doctor=doctor, now=now, clinic_type=clinic_type
    )
    return sessions


def doctor_availability_until(
    *, doctor: Doctor, now: datetime.datetime | None = None, clinic_type: str = ""
) -> tuple[list[dict], datetime.datetime]:
    """doctor_availability's sessions, and the moment they stop being right even if
    nothing is booked or changed (a cutoff, a release, midnight, the cache's seconds)."""
    now = now or timezone.now()
    doctor_version, hospital_version = availability_versions(
        doctor_id=doctor.pk, hospital_id=doctor.hospital_id
    )
    # "v4": sessions carry their release moment, unreleased sessions are listed, and
    # each carries its seats and bookings in all; answers cached before lack them.
    # The language: the sessions carry their period's and clinic type's names.
    key = (
        f"scheduling:availability:v4:{get_language()}:{doctor.pk}:"
        f"{doctor_version}:{hospital_version}"
    )
    cached = cache.get(key)
    if cached is not None and now < cached["valid_until"]:
        return _of_type(cached["sessions"], clinic_type), cached["valid_until"]
    sessions, valid_until = _availability_build(doctor=doctor, now=now)
    # The cache's own timeout runs on its server's clock; checking against ours as well
    # keeps the answer right wherever the two disagree.
    valid_until = min(
        valid_until,
        now + datetime.timedelta(seconds=settings.AVAILABILITY_CACHE_SECONDS),
    )
    cache.set(
        key,
        {"sessions": sessions, "valid_until": valid_until},
        timeout=settings.AVAILABILITY_CACHE_SECONDS,
    )
    return _of_type(sessions, clinic_type), valid_until


def _of_type(sessions: list[dict], clinic_type: str) -> list[dict]:
    if not clinic_type:
        return sessions
    return [session for session in sessions if session["clinic_type"] == clinic_type]


def session_availability_get(
    *, session_id: int, now: datetime.datetime | None = None
) -> dict:
    """One bookable session with its slots, from the same cached data as the doctor's list."""
    doctor_id = (
        ClinicSession.objects.filter(pk=session_id)
        .values_list("doctor_id", flat=True)
        .first()
    )
    if doctor_id is None:
        raise NotFound(ErrorCode.SESSION_NOT_FOUND, _("Session not found."))
    try:
        doctor = doctor_get_bookable(doctor_id=doctor_id)
    except NotFound:
        raise NotFound(ErrorCode.SESSION_NOT_FOUND, _("Session not found.")) from None
    for session in doctor_availability(doctor=doctor, now=now):
        if session["id"] == session_id:
            return session
    raise NotFound(ErrorCode.SESSION_NOT_FOUND, _("Session not found."))


@dataclass(frozen=True)
class CallerPriority:
    """What a caller's member level gives before a public release: `hours` of priority
    window, in which they may take `share` of a session's seats (0 and 0.0: none)."""

    hours: int = 0
    share: float = 0.0


def caller_priority(*, user: User | None) -> CallerPriority:
    """The caller's priority before releases; none for an anonymous caller (one query for
    a signed-in one)."""
    if user is None or not user.is_authenticated:
        return CallerPriority()
    privileges = member_privileges_for_user(user=user)
    return CallerPriority(
        hours=privileges.priority_hours, share=privileges.reserved_share
    )


def _priority_seats_left(
    session: dict, *, priority: CallerPriority, now: datetime.datetime
) -> int | None:
    """Seats a member may still take before the release: their level's share of the
    session's seats, whole seats (as booking's priority_quota_check counts them), less
    the seats taken. Before the release only members book, so every seat taken counts.
    None when it does not apply: released, or no priority for this caller."""
    if now >= session["release_at"] or priority.hours <= 0:
        return None
    quota = rules.priority_quota(session["capacity"], priority.share)
    return max(quota - session["booked"], 0)


def sessions_for_caller(
    sessions: list[dict],
    *,
    priority: CallerPriority,
    now: datetime.datetime | None = None,
) -> list[dict]:
    """The sessions with what this caller may do: `can_book_from`, `bookable_now` and,
    before a release, `priority_seats_left`.

    `can_book_from` is rules.booking_opens_at, the moment booking itself checks: the
    public release, or earlier by the caller's priority hours for a member. Seat counts
    stay the session's own; before the release a member may take only their level's
    share of them (`priority_seats_left`), which booking checks (priority_seats_taken).
    """
    now = now or timezone.now()
    result = []
    for session in sessions:
        opens = rules.booking_opens_at(
            session["release_at"], priority_hours=priority.hours
        )
        result.append(
            {
                **session,
                "can_book_from": opens,
                "bookable_now": now >= opens,
                "priority_seats_left": _priority_seats_left(
                    session, priority=priority, now=now
                ),
            }
        )
    return result
