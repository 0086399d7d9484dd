"""The demo's online consults (在线问诊): who answers them and on what terms.

Every chief and associate chief physician takes online consults (a chief's costs 50 元, an
associate chief's 30 元; 20 a day, a reply within 24 hours), and one chief physician per
hospital has a doctor account (demo.people.DOCTORS, same password as the staff) to answer
them in the workspace (/workspace/consults/) or the mini-program.
"""

from typing import Any

from accounts.models import User
from common.money import yuan_to_fen
from consult.models import ConsultOffer
from consult.services.offers import consult_offer_set
from demo.catalog import doctor_items
from demo.people import user_seed_save
from demo.seeding import SeedContext
from hospitals.models import Doctor
from hospitals.services import doctor_update

FEES = {
    Doctor.Title.CHIEF: yuan_to_fen("50"),
    Doctor.Title.ASSOCIATE_CHIEF: yuan_to_fen("30"),
}


def offer_items() -> list[dict[str, Any]]:
    return [item for item in doctor_items() if item["title"] in FEES]


def _doctor(ctx: SeedContext, item: dict[str, Any]) -> Doctor:
    return Doctor.objects.get(
        hospital=ctx.hospital(item["hospital"]),
        department__name=item["clinic"],
        name=item["name"],
    )


def seed_offer(ctx: SeedContext, item: dict[str, Any]) -> bool:
    doctor = _doctor(ctx, item)
    if ConsultOffer.objects.filter(doctor=doctor).exists():
        return False
    consult_offer_set(
        actor=ctx.actor,
        doctor=doctor,
        enabled=True,
        fee=FEES[item["title"]],
        daily_cap=20,
        reply_hours=24,
    )
    return True


def doctor_login_for(hospital: str) -> dict[str, Any]:
    """The hospital's first chief physician in the catalog."""
    return next(
        item
        for item in doctor_items()
        if item["hospital"] == hospital and item["title"] == Doctor.Title.CHIEF
    )


def seed_doctor_login(ctx: SeedContext, data: dict[str, str]) -> bool:
    """One of demo.people.DOCTORS: the account, linked to the hospital's first chief."""
    username = data["username"]
    if User.objects.filter(username=username).exists():
        return False
    item = doctor_login_for(data["hospital"])
    doctor = _doctor(ctx, item)
    user = User(
        username=username,
        first_name=doctor.name,
        role=User.Role.DOCTOR,
        hospital=doctor.hospital,
        is_staff=True,
    )
    user_seed_save(ctx, user, ctx.password)
    doctor_update(actor=ctx.actor, doctor=doctor, data={"user": user})
    return True
