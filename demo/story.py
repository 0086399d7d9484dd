"""The demo's story, chapter by chapter. `manage.py seed_demo` tells it.

1. The hospitals (demo/catalog.py): three hospitals join the platform, each with its
   departments and clinics, sixty doctors in them and two consulting rooms per clinic.
2. The people (demo/people.py): the platform admin who runs it all, one registration desk
   account per hospital, and three patients with their family's profiles (就诊人). The
   member levels (普通, 银卡, 金卡, VIP) need no chapter: accounts' migration creates them,
   and every new patient starts at the entry level.
3. The clinics (demo/schedule.py): each doctor's weekly clinic times, clinic type and
   room, and the sessions of the booking window generated from them, ready to book; the
   famous doctors' Saturday clinics release through the queue (排队放号).
4. Online consults (demo/consults.py): the senior doctors' terms, and one doctor account
   per hospital to answer them.

Every chapter writes through the apps' services (operation log, catalog cache) and looks
each row up by its natural key first, so telling the story again writes nothing.

To extend the demo, write a function `seed(ctx, item) -> bool` that returns True when it
created something, and add a SeedStep to SEED_STEPS after the steps it depends on. Look
rows up with `ctx.hospital(name)` or your own natural keys.
"""

from collections.abc import Callable

from django.db import transaction

from demo import catalog, consults, people, schedule
from demo.seeding import SeedContext, SeedStep

SEED_STEPS: list[SeedStep] = [
    # 1. The hospitals.
    SeedStep("hospitals", catalog.HOSPITALS, catalog.seed_hospital),
    SeedStep("departments", catalog.department_items(), catalog.seed_department),
    SeedStep("doctors", catalog.doctor_items(), catalog.seed_doctor),
    SeedStep("rooms", catalog.room_items(), catalog.seed_room),
    # 2. The people.
    SeedStep("admins", [people.ADMIN_USERNAME], people.seed_admin),
    SeedStep("staff", people.STAFF, people.seed_staff_user),
    SeedStep("patients", people.PATIENTS, people.seed_patient),
    SeedStep("profiles", people.profile_items(), people.seed_profile),
    # 3. The clinics.
    SeedStep("templates", schedule.template_items(), schedule.seed_template),
    SeedStep("sessions", ["window"], schedule.seed_sessions),
    SeedStep("release queue", ["famous doctors"], schedule.seed_release_queue),
    # 4. Online consults.
    SeedStep("consult offers", consults.offer_items(), consults.seed_offer),
    SeedStep("doctor accounts", people.DOCTORS, consults.seed_doctor_login),
]


def story_length() -> int:
    """How many rows the story looks at: one per item of every step."""
    return sum(len(step.items) for step in SEED_STEPS)


def story_tell(
    ctx: SeedContext, *, on_item: Callable[[str, bool], None] | None = None
) -> None:
    """Tell every chapter in order, in one transaction: a failing step leaves the
    database as it was. Tallies created and present rows per kind in `ctx`, and calls
    `on_item(kind, step_done)` after each item (the command's progress bar)."""
    with transaction.atomic():
        for step in SEED_STEPS:
            for number, item in enumerate(step.items, start=1):
                if step.seed(ctx, item):
                    ctx.created[step.kind] += 1
                else:
                    ctx.present[step.kind] += 1
                if on_item is not None:
                    on_item(step.kind, number == len(step.items))
