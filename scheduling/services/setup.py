"""Booking rules and weekly templates: what a hospital sets up before sessions exist."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import Conflict
from common.services import Actor, operation_log_write
from hospitals.events import HospitalCreated
from scheduling import rules
from scheduling.errors import ErrorCode
from scheduling.models import BookingRule, ClinicSession, ScheduleTemplate
from scheduling.services.availability import availability_hospital_changed
from scheduling.services.rooms import room_lock, template_room_check

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
def booking_rule_create_default(*, hospital_id: int) -> BookingRule:
    """Give a hospital its booking rule with the default values; idempotent.

    Without a row the hospital still books with the defaults (rules.rule_for_hospital_id),
    but staff would find no rule to open and edit.
    """
    existing = BookingRule.objects.filter(hospital_id=hospital_id).first()
    if existing is not None:
        return existing
    # No operation-log row of its own: it is part of creating the hospital, which is
    # logged, and holds only defaults. No session exists yet whose release could move.
    rule = BookingRule(hospital_id=hospital_id)
    rule.full_clean(validate_unique=False)
    rule.save()
    return rule


def hospital_created_booking_rule(event: HospitalCreated) -> None:
    """Subscriber of HospitalCreated (in the transaction): the new hospital's rule."""
    booking_rule_create_default(hospital_id=event.hospital_id)


def _overlaps(
    start: datetime.time, end: datetime.time, other_start: datetime.time, other_end
) -> bool:
    return start < other_end and end > other_start


def schedule_template_check(*, template: ScheduleTemplate) -> None:
    """Raise Conflict if an active template overlaps another active one of the doctor.

    Two weekly clinics of one doctor at the same hours would generate sessions the doctor
    cannot hold at once (a 上午 08:00-12:00 and a 下午 11:00-15:00 on the same weekday).
    """
    if (
        not template.is_active
        or template.start_time is None
        or template.end_time is None
    ):
        return
    others = ScheduleTemplate.objects.filter(
        doctor_id=template.doctor_id, weekday=template.weekday, is_active=True
    ).exclude(pk=template.pk)
    for other in others.order_by("start_time"):
        if _overlaps(
            template.start_time, template.end_time, other.start_time, other.end_time
        ):
            raise Conflict(
                ErrorCode.TEMPLATE_OVERLAPS,
                _(
                    "The doctor already has an active weekly clinic at "
                    "%(start)s-%(end)s on this weekday."
                )
                % {
                    "start": f"{other.start_time:%H:%M}",
                    "end": f"{other.end_time:%H:%M}",
                },
            )


@transaction.atomic
def schedule_template_save(
    *, actor: Actor, template: ScheduleTemplate
) -> ScheduleTemplate:
    """Create or update a weekly template (fields already set on `template`).

    Changes apply to sessions generated afterwards; existing sessions are edited one by one.
    """
    is_new = template.pk is None
    template.full_clean()
    schedule_template_check(template=template)
    if template.room_id is not None:
        # Two templates saved at once for one room are checked one after the other.
        room_lock(room_id=template.room_id)
        template_room_check(template=template)
    template.save()
    operation_log_write(
        actor=actor,
        action="schedule_template_create" if is_new else "schedule_template_update",
        obj=template,
        summary=(
            f"doctor={template.doctor_id} weekday={template.weekday} "
            f"{template.period} {template.start_time:%H:%M}-{template.end_time:%H:%M} "
            f"{template.slot_minutes}min x{template.seats_per_slot} active={template.is_active} "
            f"{template.clinic_type} room={template.room_id}"
        ),
    )
    return template
