"""Scheduling writes: booking rules, weekly templates, sessions and slots, release, staff edits.

Every write that staff make goes through here and leaves an operation-log row. The
availability cache (see scheduling.selectors) is refreshed by bumping a version number
after commit; booking code elsewhere calls `availability_changed` the same way.
"""

import datetime
import logging
import time

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import Conflict, Unprocessable
from common.services import Actor, operation_log_write
from hospitals.models import Doctor
from scheduling import rules
from scheduling.models import BookingRule, ClinicSession, ScheduleTemplate, Slot

logger = logging.getLogger(__name__)

# The most days ahead `sessions_generate(days=...)` accepts.
MAX_GENERATE_DAYS = 60
# A slot never holds more seats than this (the column is a small integer).
MAX_SLOT_CAPACITY = 500
# Defaults for a session without a template or slots to copy the slot shape from.
DEFAULT_SLOT_MINUTES = 30
DEFAULT_SEATS_PER_SLOT = 5

# -- availability cache versions ----------------------------------------------------------
#
# A doctor's availability is cached under a key that contains two version numbers: the
# doctor's (bumped by bookings, cancellations, staff edits, release) and the hospital's
# (bumped when the hospital's booking rule changes). Bumping a number makes every old
# entry unreachable at once; the old entries expire on their own after a few seconds.


def _doctor_version_key(doctor_id: int) -> str:
    return f"scheduling:availability:doctor:{doctor_id}"


def _hospital_version_key(hospital_id: int) -> str:
    return f"scheduling:availability:hospital:{hospital_id}"


def _fresh_version() -> int:
    # Never restart at 1 after an eviction: an old entry stored under 1 might still live.
    return time.time_ns()


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # the key is missing (never set, or evicted)
        cache.set(key, _fresh_version(), timeout=None)


def availability_versions(*, doctor_id: int, hospital_id: int) -> tuple[int, int]:
    """The current (doctor, hospital) version numbers of the availability cache."""
    keys = [_doctor_version_key(doctor_id), _hospital_version_key(hospital_id)]
    found = cache.get_many(keys)
    versions = []
    for key in keys:
        if key not in found:
            cache.add(key, _fresh_version(), timeout=None)
            found[key] = cache.get(key, 0)
        versions.append(found[key])
    return versions[0], versions[1]


def availability_changed(*, doctor_id: int) -> None:
    """Drop the cached availability of one doctor.

    Call it after the change is committed, e.g.
    `transaction.on_commit(lambda: availability_changed(doctor_id=doctor.pk))`,
    so no request can cache the old state again between the bump and the commit.
    """
    _bump(_doctor_version_key(doctor_id))


def availability_hospital_changed(*, hospital_id: int) -> None:
    """Drop the cached availability of every doctor of a hospital (its rule changed)."""
    _bump(_hospital_version_key(hospital_id))


def _availability_changed_on_commit(doctor_ids) -> None:
    doctor_ids = sorted(set(doctor_ids))
    if doctor_ids:
        transaction.on_commit(
            lambda: [availability_changed(doctor_id=pk) for pk in doctor_ids]
        )


# -- booking rules and templates -------------------------------------------------------------


@transaction.atomic
def booking_rule_save(*, actor: Actor, rule: BookingRule) -> BookingRule:
    """Create or update a hospital's booking rule (fields already set on `rule`).

    Sessions that are not released yet get their release moment recomputed, so a new
    window or release time applies to every session that patients cannot book yet.
    """
    is_new = rule.pk is None
    rule.full_clean()
    rule.save()

    now = timezone.now()
    pending = list(
        ClinicSession.objects.select_for_update()
        .filter(hospital_id=rule.hospital_id, is_released=False, release_at__gt=now)
        .order_by("pk")
    )
    for session in pending:
        session.release_at = rules.release_at(rule, session.date)
    ClinicSession.objects.bulk_update(pending, ["release_at"])

    operation_log_write(
        actor=actor,
        action="booking_rule_create" if is_new else "booking_rule_update",
        obj=rule,
        summary=(
            f"window={rule.window_days}d release={rule.release_time:%H:%M} "
            f"cutoff={rule.cutoff_mode} hold={rule.hold_minutes}m "
            f"rescheduled={len(pending)}"
        ),
    )
    hospital_id = rule.hospital_id
    transaction.on_commit(
        lambda: availability_hospital_changed(hospital_id=hospital_id)
    )
    return rule


@transaction.atomic
def schedule_template_save(
    *, actor: Actor, template: ScheduleTemplate
) -> ScheduleTemplate:
    """Create or update a weekly template (fields already set on `template`).

    Changes apply to sessions generated afterwards; existing sessions are edited one by one.
    """
    is_new = template.pk is None
    template.full_clean()
    template.save()
    operation_log_write(
        actor=actor,
        action="schedule_template_create" if is_new else "schedule_template_update",
        obj=template,
        summary=(
            f"doctor={template.doctor_id} weekday={template.weekday} "
            f"{template.period} {template.start_time:%H:%M}-{template.end_time:%H:%M} "
            f"{template.slot_minutes}min x{template.seats_per_slot} active={template.is_active}"
        ),
    )
    return template


# -- sessions -------------------------------------------------------------------------------


def _default_place(doctor: Doctor) -> str:
    return f"{doctor.hospital.name} {doctor.department.name}"[:100]


def _slots_create(
    *,
    session: ClinicSession,
    slot_minutes: int,
    seats_per_slot: int,
) -> list[Slot]:
    """Split `session` into slots; queue numbers run on in visit order from 1."""
    slots = []
    queue_start = 1
    for starts_at, ends_at, seats in rules.split_into_slots(
        date=session.date,
        start_time=session.start_time,
        end_time=session.end_time,
        slot_minutes=slot_minutes,
        seats_per_slot=seats_per_slot,
    ):
        slot = Slot(
            session=session,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=seats,
            queue_start=queue_start,
        )
        slot.full_clean(exclude=["session"], validate_constraints=False)
        slots.append(slot)
        queue_start += seats
    return Slot.objects.bulk_create(slots)


def _session_build(
    *,
    doctor: Doctor,
    rule: BookingRule,
    date: datetime.date,
    period: str,
    start_time: datetime.time,
    end_time: datetime.time,
    fee: int | None,
    place: str | None,
    template: ScheduleTemplate | None,
    now: datetime.datetime,
) -> ClinicSession:
    release_at = rules.release_at(rule, date)
    return ClinicSession(
        doctor=doctor,
        hospital_id=doctor.hospital_id,
        template=template,
        date=date,
        period=period,
        start_time=start_time,
        end_time=end_time,
        fee=doctor.fee if fee is None else fee,
        place=_default_place(doctor) if place is None else place,
        release_at=release_at,
        # Already past its release moment (a template added inside the window): it is
        # visible at once, and the release job has nothing left to do for it.
        is_released=release_at <= now,
    )


def _generate_one(
    *,
    template: ScheduleTemplate,
    rule: BookingRule,
    date: datetime.date,
    now: datetime.datetime,
) -> bool:
    """Create one session and its slots; False when it exists already (lost a race)."""
    session = _session_build(
        doctor=template.doctor,
        rule=rule,
        date=date,
        period=template.period,
        start_time=template.start_time,
        end_time=template.end_time,
        fee=template.fee,
        place=None,
        template=template,
        now=now,
    )
    # Uniqueness (doctor, date, period) is left to the database: a concurrent run may
    # insert the same session between any check of ours and the insert.
    session.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            session.save()
            _slots_create(
                session=session,
                slot_minutes=template.slot_minutes,
                seats_per_slot=template.seats_per_slot,
            )
            operation_log_write(
                actor=Actor.system(),
                action="session_generate",
                obj=session,
                summary=f"template={template.pk} {date} {template.period}",
            )
            if session.is_released:
                _availability_changed_on_commit([session.doctor_id])
    except IntegrityError:
        if ClinicSession.objects.filter(
            doctor_id=template.doctor_id, date=date, period=template.period
        ).exists():
            return False
        raise
    return True


def sessions_generate(
    *, today: datetime.date | None = None, days: int | None = None
) -> int:
    """Create the sessions of every active template from `today` to the window end + 1 day.

    The default horizon is the hospital's window plus one day, so sessions exist a day
    before they are released. `days` overrides it (0 = today only). Sessions that exist
    are skipped (also ones staff stopped), so running it again creates nothing. Doctors
    that are inactive and hospitals that are closed get no sessions, and neither do
    sessions that have already ended.

    Each session is created in its own transaction: a failure part way keeps the sessions
    made so far, and the next run fills in the rest. Returns the number created.
    """
    if days is not None and not 0 <= days <= MAX_GENERATE_DAYS:
        raise Unprocessable(
            "invalid_days",
            _("days must be between 0 and %(highest)s.")
            % {"highest": MAX_GENERATE_DAYS},
        )
    now = timezone.now()
    today = today or timezone.localdate(now)

    templates = list(
        ScheduleTemplate.objects.filter(
            is_active=True, doctor__is_active=True, doctor__hospital__is_open=True
        )
        .select_related("doctor__hospital", "doctor__department")
        .order_by("doctor_id", "weekday", "period")
    )
    if not templates:
        return 0
    hospital_ids = {t.doctor.hospital_id for t in templates}
    rules_by_hospital = {
        rule.hospital_id: rule
        for rule in BookingRule.objects.filter(hospital_id__in=hospital_ids)
    }

    def horizon(hospital_id: int) -> int:
        if days is not None:
            return days
        return (
            rules_by_hospital.get(
                hospital_id, BookingRule(hospital_id=hospital_id)
            ).window_days
            + 1
        )

    last_day = today + datetime.timedelta(days=max(map(horizon, hospital_ids)))
    existing = set(
        ClinicSession.objects.filter(
            doctor_id__in={t.doctor_id for t in templates},
            date__gte=today,
            date__lte=last_day,
        ).values_list("doctor_id", "date", "period")
    )

    created = 0
    for template in templates:
        hospital_id = template.doctor.hospital_id
        rule = rules_by_hospital.get(hospital_id) or BookingRule(
            hospital_id=hospital_id
        )
        for offset in range(horizon(hospital_id) + 1):
            date = today + datetime.timedelta(days=offset)
            if date.weekday() != template.weekday:
                continue
            if (template.doctor_id, date, template.period) in existing:
                continue
            if rules.local_datetime(date, template.end_time) <= now:
                continue
            if _generate_one(template=template, rule=rule, date=date, now=now):
                created += 1
    if created:
        logger.info("Generated %s clinic sessions", created)
    return created


def session_create_check(
    *, doctor: Doctor, date: datetime.date, now: datetime.datetime | None = None
) -> None:
    """Raise DomainError unless an extra session may be added for `doctor` on `date`."""
    now = now or timezone.now()
    if not doctor.is_active or not doctor.hospital.is_open:
        raise Conflict(
            "doctor_unavailable",
            _("The doctor or the hospital is not taking patients."),
        )
    if date < timezone.localdate(now):
        raise Unprocessable("date_in_past", _("The date has already passed."))


@transaction.atomic
def session_create(
    *,
    actor: Actor,
    doctor: Doctor,
    date: datetime.date,
    period: str,
    start_time: datetime.time,
    end_time: datetime.time,
    fee: int | None = None,
    place: str | None = None,
    slot_minutes: int = DEFAULT_SLOT_MINUTES,
    seats_per_slot: int = DEFAULT_SEATS_PER_SLOT,
) -> ClinicSession:
    """An extra session outside the weekly templates (临时加诊), split into slots."""
    now = timezone.now()
    session_create_check(doctor=doctor, date=date, now=now)
    session = _session_build(
        doctor=doctor,
        rule=rules.rule_for_hospital_id(doctor.hospital_id),
        date=date,
        period=period,
        start_time=start_time,
        end_time=end_time,
        fee=fee,
        place=place,
        template=None,
        now=now,
    )
    # A throwaway template validates the slot shape with the same ranges as templates.
    ScheduleTemplate(
        doctor=doctor,
        weekday=date.weekday(),
        period=period,
        start_time=start_time,
        end_time=end_time,
        slot_minutes=slot_minutes,
        seats_per_slot=seats_per_slot,
        fee=fee,
    ).clean()
    session.full_clean()
    session.save()
    _slots_create(
        session=session, slot_minutes=slot_minutes, seats_per_slot=seats_per_slot
    )
    operation_log_write(
        actor=actor,
        action="session_create",
        obj=session,
        summary=f"{date} {period} {start_time:%H:%M}-{end_time:%H:%M} fee={session.fee}",
    )
    _availability_changed_on_commit([doctor.pk])
    return session


def _session_lock(session_id: int) -> tuple[ClinicSession, list[Slot]]:
    """Lock a session's slots, then the session row; return both, freshly read.

    Slots first, in primary-key order, then the session: the order stopping a session
    and booking use (a booking takes its seat with an UPDATE on the slot row), so none of
    them can deadlock with a staff edit. Holding the slot locks, a status read sees any
    stop that committed before.
    """
    slots = list(
        Slot.objects.select_for_update().filter(session_id=session_id).order_by("pk")
    )
    locked = (
        ClinicSession.objects.select_for_update()
        .select_related("template")
        .get(pk=session_id)
    )
    return locked, slots


def _slot_shape(session: ClinicSession) -> tuple[int, int]:
    """(slot minutes, seats per slot) to rebuild a session's slots with."""
    if session.template is not None:
        return session.template.slot_minutes, session.template.seats_per_slot
    first = session.slots.order_by("starts_at").first()
    if first is None:
        return DEFAULT_SLOT_MINUTES, DEFAULT_SEATS_PER_SLOT
    minutes = int((first.ends_at - first.starts_at).total_seconds() // 60)
    return max(minutes, 5), first.capacity


def session_edit_check(
    *, session: ClinicSession, now: datetime.datetime | None = None
) -> None:
    """Raise Conflict unless staff may still change the session's times, fee or place."""
    now = now or timezone.now()
    if session.status != ClinicSession.Status.OPEN:
        raise Conflict("session_stopped", _("The session has been stopped."))
    if rules.local_datetime(session.date, session.end_time) <= now:
        raise Conflict("session_over", _("The session is already over."))
    if (
        Slot.objects.filter(session_id=session.pk, booked__gt=0).exists()
        or session.appointments.exists()
    ):
        raise Conflict(
            "session_has_bookings",
            _("Patients have booked this session; it can no longer be edited."),
        )


@transaction.atomic
def session_update(
    *,
    actor: Actor,
    session: ClinicSession,
    start_time: datetime.time,
    end_time: datetime.time,
    fee: int,
    place: str,
) -> ClinicSession:
    """Change a session's times, fee or place; allowed only while nobody has booked it.

    Appointments copy the time, fee and place, so once any appointment exists (even a
    cancelled one) the session can only be stopped. New times rebuild the slots with the
    same slot length and seats.
    """
    # A booking takes its seat with an UPDATE on a slot row, so with the slots locked it
    # either waits for this edit or this edit sees its seat.
    locked, _slots = _session_lock(session.pk)
    session_edit_check(session=locked)

    times_changed = (locked.start_time, locked.end_time) != (start_time, end_time)
    changes = []
    for name, value in (
        ("start_time", start_time),
        ("end_time", end_time),
        ("fee", fee),
        ("place", place),
    ):
        if getattr(locked, name) != value:
            changes.append(f"{name}: {getattr(locked, name)} -> {value}")
            setattr(locked, name, value)
    if not changes:
        return locked
    slot_minutes, seats = _slot_shape(locked)
    if times_changed:
        # The new times must hold at least one slot of the current length.
        ScheduleTemplate(
            doctor_id=locked.doctor_id,
            weekday=locked.date.weekday(),
            period=locked.period,
            start_time=start_time,
            end_time=end_time,
            slot_minutes=slot_minutes,
            seats_per_slot=seats,
        ).clean()
    locked.full_clean()
    locked.save()
    if times_changed:
        Slot.objects.filter(session=locked).delete()
        _slots_create(session=locked, slot_minutes=slot_minutes, seats_per_slot=seats)
    operation_log_write(
        actor=actor, action="session_update", obj=locked, summary="; ".join(changes)
    )
    _availability_changed_on_commit([locked.doctor_id])
    return locked


@transaction.atomic
def slot_add_seats(*, actor: Actor, slot: Slot, seats: int) -> Slot:
    """Add seats to a slot (加号) and offer them to the session's waitlist at once."""
    if not 1 <= seats <= MAX_SLOT_CAPACITY:
        raise Unprocessable(
            "invalid_seats",
            _("Seats must be between 1 and %(highest)s.")
            % {"highest": MAX_SLOT_CAPACITY},
        )
    session, _slots = _session_lock(slot.session_id)
    if session.status != ClinicSession.Status.OPEN:
        raise Conflict("session_stopped", _("The session has been stopped."))
    if slot.ends_at <= timezone.now():
        raise Conflict("slot_over", _("This time slot is already over."))

    from appointments.services.booking import slot_seats_returned

    added = Slot.objects.filter(
        pk=slot.pk, capacity__lte=MAX_SLOT_CAPACITY - seats
    ).update(capacity=F("capacity") + seats)
    slot_seats_returned(slot_id=slot.pk)
    if added != 1:
        raise Conflict(
            "slot_capacity_limit",
            _("A time slot holds at most %(highest)s seats.")
            % {"highest": MAX_SLOT_CAPACITY},
        )
    slot.refresh_from_db()
    operation_log_write(
        actor=actor,
        action="slot_add_seats",
        obj=slot,
        summary=f"+{seats} seats, capacity={slot.capacity}",
    )

    # appointments imports scheduling; importing here avoids an import cycle.
    from appointments.services import waitlist_promote

    waitlist_promote(session=session, actor=actor)
    _availability_changed_on_commit([session.doctor_id])
    slot.refresh_from_db()
    return slot


def session_add_slot_check(
    *,
    session: ClinicSession,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    capacity: int,
    now: datetime.datetime | None = None,
) -> None:
    """Raise DomainError unless this extra slot may be added to `session`."""
    now = now or timezone.now()
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise Unprocessable("naive_datetime", _("Times must include a time zone."))
    if not 1 <= capacity <= MAX_SLOT_CAPACITY:
        raise Unprocessable(
            "invalid_seats",
            _("Seats must be between 1 and %(highest)s.")
            % {"highest": MAX_SLOT_CAPACITY},
        )
    if ends_at <= starts_at:
        raise Unprocessable("invalid_times", _("The end must be after the start."))
    if session.status != ClinicSession.Status.OPEN:
        raise Conflict("session_stopped", _("The session has been stopped."))
    day_starts = rules.local_datetime(session.date, datetime.time.min)
    day_ends = day_starts + datetime.timedelta(days=1)
    if starts_at < day_starts or ends_at > day_ends:
        raise Unprocessable(
            "slot_outside_session_date",
            _("The slot must lie on the session's date."),
        )
    if starts_at <= now:
        raise Unprocessable("slot_in_past", _("The slot must start in the future."))
    if Slot.objects.filter(
        session_id=session.pk, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists():
        raise Conflict("slot_overlaps", _("The slot overlaps another time slot."))


@transaction.atomic
def session_add_slot(
    *,
    actor: Actor,
    session: ClinicSession,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    capacity: int,
) -> Slot:
    """Add an extra time slot to a session; its queue numbers follow the session's last.

    The slot must lie on the session's date, start in the future and overlap no other slot.
    """
    # Holding the slot locks also keeps two extra slots from taking the same numbers.
    locked, _slots = _session_lock(session.pk)
    session_add_slot_check(
        session=locked, starts_at=starts_at, ends_at=ends_at, capacity=capacity
    )
    # Seats added to a slot (加号) take numbers past its original range, skipping used ones,
    # so the session's numbers run up to its total seats; start after both that and the
    # highest slot range.
    numbers = Slot.objects.filter(session=locked).aggregate(
        seats=Sum("capacity"), range_end=Max(F("queue_start") + F("capacity"))
    )
    slot = Slot(
        session=locked,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        queue_start=max((numbers["seats"] or 0) + 1, numbers["range_end"] or 1),
    )
    slot.full_clean()
    slot.save()
    operation_log_write(
        actor=actor,
        action="session_add_slot",
        obj=slot,
        summary=(
            f"session={locked.pk} {timezone.localtime(starts_at):%Y-%m-%d %H:%M}-"
            f"{timezone.localtime(ends_at):%H:%M} seats={capacity} queue_start={slot.queue_start}"
        ),
    )

    from appointments.services import waitlist_promote

    waitlist_promote(session=locked, actor=actor)
    _availability_changed_on_commit([locked.doctor_id])
    slot.refresh_from_db()
    return slot


# -- release ----------------------------------------------------------------------------


def sessions_release(*, now: datetime.datetime | None = None) -> int:
    """Mark sessions whose release moment has come as released; refresh their doctors' cache.

    Booking checks `release_at` itself, to the minute, so a late run never holds patients
    back: this is the visibility and cache side. Released sessions are skipped, so a second
    run changes nothing. Returns the number of sessions released.

    Not logged per session: it flips a visibility flag on a schedule set by the rule, and
    the sessions' own creation and the rule edits are logged.
    """
    now = now or timezone.now()
    released = 0
    while True:
        with transaction.atomic():
            due = list(
                ClinicSession.objects.filter(is_released=False, release_at__lte=now)
                .order_by("pk")
                .values_list("pk", "doctor_id")[:500]
            )
            if not due:
                break
            released += ClinicSession.objects.filter(
                pk__in=[pk for pk, _doctor in due], is_released=False
            ).update(is_released=True)
            _availability_changed_on_commit(doctor_id for _pk, doctor_id in due)
    if released:
        logger.info("Released %s clinic sessions", released)
    return released
