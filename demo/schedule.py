"""The demo's clinics: each doctor's weekly clinic times, and the booking window's sessions.

Every doctor sees patients two half-days a week (mornings 08:00-11:30, afternoons
13:30-17:00, in 30-minute slots); chief physicians also hold a Saturday morning clinic
with fewer seats per slot: the famous doctors whose slots sell out. The sessions of the
booking window are then generated from these templates, as the periodic job does.
"""

import datetime
from typing import Any

from demo.catalog import doctor_items, room_for_title
from demo.seeding import SeedContext
from hospitals.models import ConsultingRoom, Doctor
from scheduling.models import BookingRule, ClinicSession, ClinicType, ScheduleTemplate
from scheduling.services import (
    booking_rule_save,
    schedule_template_save,
    session_release_queue_set,
    sessions_generate,
)

_MORNING = (datetime.time(8, 0), datetime.time(11, 30))
_AFTERNOON = (datetime.time(13, 30), datetime.time(17, 0))

CLINIC_TYPE_BY_TITLE = {
    Doctor.Title.CHIEF: ClinicType.EXPERT,
    Doctor.Title.ASSOCIATE_CHIEF: ClinicType.SPECIALIST,
}


def template_items() -> list[dict[str, Any]]:
    """Each doctor sees patients two half-days a week; chief physicians also on Saturday
    morning, with fewer seats per slot (the famous doctors whose slots sell out)."""
    items = []
    for index, doctor in enumerate(doctor_items()):
        is_chief = doctor["title"] == "chief"
        seats = 2 if is_chief else 4
        base = {
            "hospital": doctor["hospital"],
            "clinic": doctor["clinic"],
            "name": doctor["name"],
            "seats": seats,
            "clinic_type": CLINIC_TYPE_BY_TITLE.get(
                doctor["title"], ClinicType.GENERAL
            ),
            "room": room_for_title(doctor["title"]),
        }
        items.append(
            base | {"weekday": index % 5, "period": "morning", "times": _MORNING}
        )
        items.append(
            base
            | {"weekday": (index + 2) % 5, "period": "afternoon", "times": _AFTERNOON}
        )
        if is_chief:
            items.append(base | {"weekday": 5, "period": "morning", "times": _MORNING})
    return items


def seed_template(ctx: SeedContext, data: dict[str, Any]) -> bool:
    doctor = Doctor.objects.get(
        hospital=ctx.hospital(data["hospital"]),
        department__name=data["clinic"],
        name=data["name"],
    )
    if ScheduleTemplate.objects.filter(
        doctor=doctor, weekday=data["weekday"], period=data["period"]
    ).exists():
        return False
    start, end = data["times"]
    room = ConsultingRoom.objects.get(department=doctor.department, name=data["room"])
    template = ScheduleTemplate(
        doctor=doctor,
        clinic_type=data["clinic_type"],
        room=room,
        weekday=data["weekday"],
        period=data["period"],
        start_time=start,
        end_time=end,
        slot_minutes=30,
        seats_per_slot=data["seats"],
    )
    schedule_template_save(actor=ctx.actor, template=template)
    return True


def seed_sessions(ctx: SeedContext, item: str) -> bool:
    """Sessions for the booking window from the templates (idempotent, like the beat job)."""
    return sessions_generate() > 0


def seed_release_queue(ctx: SeedContext, item: str) -> bool:
    """The famous doctors' Saturday clinics release through the queue (排队放号), and
    each hospital puts a doctor's next session in it by itself when five times more
    accounts than seats tried at the last release. True when anything changed."""
    changed = False
    for rule in BookingRule.objects.filter(release_queue_demand_factor__isnull=True):
        rule.release_queue_demand_factor = 5
        booking_rule_save(actor=ctx.actor, rule=rule)
        changed = True
    saturdays = ClinicSession.objects.filter(
        clinic_type=ClinicType.EXPERT,
        status=ClinicSession.Status.OPEN,
        release_queue=False,
        date__week_day=7,  # Django counts Sunday as 1: Saturday is 7
    )
    for session in saturdays:
        changed |= session_release_queue_set(
            actor=ctx.actor, session=session, on=True, reason="demo: famous doctor"
        )
    return changed
