"""Sessions from weekly templates, and their release."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import DomainError, Unprocessable
from common.services import Actor, operation_log_write
from hospitals.models import Doctor
from scheduling import rules
from scheduling.errors import ErrorCode
from scheduling.models import (
    BookingRule,
    ClinicSession,
    ClinicType,
    ScheduleTemplate,
    Slot,
)
from scheduling.services.availability import _availability_changed_on_commit
from scheduling.services.rooms import room_claim

logger = logging.getLogger(__name__)

# The most days ahead `sessions_generate(days=...)` accepts.
MAX_GENERATE_DAYS = 60

# Defaults for a session without a template or slots to copy the slot shape from.
DEFAULT_SLOT_MINUTES = 30
DEFAULT_SEATS_PER_SLOT = 5

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
    clinic_type: str = ClinicType.GENERAL,
    room_id: int | None = None,
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
        clinic_type=clinic_type,
        room_id=room_id,
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
        clinic_type=template.clinic_type,
        room_id=template.room_id,
    )
    # Uniqueness (doctor, date, period) is left to the database: a concurrent run may
    # insert the same session between any check of ours and the insert.
    session.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            if session.room_id is not None:
                _room_claim_or_leave_off(session)
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
                summary=(
                    f"template={template.pk} {date} {template.period} "
                    f"{session.clinic_type} room={session.room_id}"
                ),
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


def _room_claim_or_leave_off(session: ClinicSession) -> None:
    """Give the session its template's room if the room is in use and free at its hours.

    Otherwise (a session staff added by hand took the room, or the room was retired) the
    session is still generated, without a room: patients can book the doctor, and staff
    see the warning and pick another room.
    """
    try:
        room_claim(
            room_id=session.room_id,
            date=session.date,
            start_time=session.start_time,
            end_time=session.end_time,
        )
    except DomainError as exc:
        logger.warning(
            "Session of doctor %s on %s generated without room %s: %s",
            session.doctor_id,
            session.date,
            session.room_id,
            exc.code,
        )
        session.room_id = None


def sessions_generate(
    *,
    today: datetime.date | None = None,
    days: int | None = None,
    template_ids: list[int] | None = None,
) -> int:
    """Create the sessions of every active template from `today` to the window end + 1 day.

    The default horizon is the hospital's window plus one day, so sessions exist a day
    before they are released. `days` overrides it (0 = today only). Sessions that exist
    are skipped (also ones staff stopped), so running it again creates nothing. Doctors
    that are inactive and hospitals that are closed get no sessions, and neither do
    sessions that have already ended.

    Each session is created in its own transaction: a failure part way keeps the sessions
    made so far, and the next run fills in the rest. Returns the number created.
    `template_ids` limits the run to those templates (staff saving one template).
    """
    if days is not None and not 0 <= days <= MAX_GENERATE_DAYS:
        raise Unprocessable(
            ErrorCode.INVALID_DAYS,
            _("days must be between 0 and %(highest)s.")
            % {"highest": MAX_GENERATE_DAYS},
        )
    now = timezone.now()
    today = today or timezone.localdate(now)

    candidates = ScheduleTemplate.objects.filter(
        is_active=True, doctor__is_active=True, doctor__hospital__is_open=True
    )
    if template_ids is not None:
        candidates = candidates.filter(pk__in=template_ids)
    templates = list(
        candidates.select_related("doctor__hospital", "doctor__department").order_by(
            "doctor_id", "weekday", "period"
        )
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
    rows = ClinicSession.objects.filter(
        doctor_id__in={t.doctor_id for t in templates},
        date__gte=today,
        date__lte=last_day,
    ).values_list("doctor_id", "date", "period", "start_time", "end_time", "status")
    existing = set()
    # Open sessions by (doctor, date): a template's session must not overlap one staff
    # added by hand (临时加诊), as session_create refuses overlaps too.
    busy: dict[tuple, list[tuple[datetime.time, datetime.time]]] = {}
    for doctor_id, date, period, start, end, status in rows:
        existing.add((doctor_id, date, period))
        if status == ClinicSession.Status.OPEN:
            busy.setdefault((doctor_id, date), []).append((start, end))

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
            if any(
                start < template.end_time and end > template.start_time
                for start, end in busy.get((template.doctor_id, date), ())
            ):
                continue
            if _generate_one(template=template, rule=rule, date=date, now=now):
                created += 1
    if created:
        logger.info("Generated %s clinic sessions", created)
    return created


def schedule_template_generate(*, templates: list[ScheduleTemplate]) -> int:
    """Create the sessions of `templates` for their hospitals' booking window now.

    Staff expect a template they just saved to show its sessions at once rather than at the
    next hourly run; this is the same generation, limited to those templates, so the hourly
    run later finds them and creates nothing twice. Returns the number created.
    """
    return sessions_generate(template_ids=[template.pk for template in templates])


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
