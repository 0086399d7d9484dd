"""Booking rules and weekly templates: what a hospital sets up before sessions exist."""

from django.db import transaction
from django.utils import timezone

from common.services import Actor, operation_log_write
from scheduling import rules
from scheduling.models import BookingRule, ClinicSession, ScheduleTemplate
from scheduling.services.availability import availability_hospital_changed

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
