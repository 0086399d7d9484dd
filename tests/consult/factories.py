"""Consult tests' world: a doctor who logs in and takes consults, patients with profiles."""

from accounts.models import PatientProfile
from common.services import Actor
from consult.models import Consult, ConsultOffer
from consult.services.consults import consult_create
from consult.services.offers import consult_offer_set
from hospitals.models import Doctor, Hospital
from tests.accounts.factories import PatientProfileFactory
from tests.records.factories import doctor_with_login

BASE = "/api/v1/consult/"


def offering_doctor(
    *,
    fee: int = 0,
    daily_cap: int = 20,
    reply_hours: int = 24,
    hospital: Hospital | None = None,
) -> Doctor:
    doctor = doctor_with_login(hospital)
    consult_offer_set(
        actor=Actor.system(),
        doctor=doctor,
        enabled=True,
        fee=fee,
        daily_cap=daily_cap,
        reply_hours=reply_hours,
    )
    return doctor


def consult_for(
    *, doctor: Doctor, profile: PatientProfile | None = None, problem: str = "头痛两天"
) -> Consult:
    profile = profile or PatientProfileFactory()
    return consult_create(
        actor=Actor.system(),
        user=profile.user,
        doctor=doctor,
        profile=profile,
        problem=problem,
    )


def offer_of(doctor: Doctor) -> ConsultOffer:
    return ConsultOffer.objects.get(doctor=doctor)
