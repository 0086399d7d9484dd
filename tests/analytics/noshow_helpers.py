"""A generated appointment history and a real (small) no-show model trained on it.

For any test that needs an active model (analytics' own tests, and the booking side's
scoring tests):

    from tests.analytics.noshow_helpers import noshow_model_dir  # noqa: F401 (fixture)
    from tests.analytics.noshow_helpers import train_active_model

    @pytest.mark.usefixtures("noshow_model_dir")
    def test_something():
        model = train_active_model()

`noshow_model_dir` points settings.NOSHOW_MODEL_DIR at a temporary folder for the test, so
no file lands in the project. The history is written straight to the tables (the booking
services have their own tests): past sessions with completed and no-show bookings whose
pattern a tree can learn (some patients often miss, long lead times miss more).
"""

import datetime
import itertools
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from analytics.ml.training import Grid
from analytics.models import NoShowModel
from analytics.noshow.services import noshow_model_train_own
from appointments.models import Appointment
from common.services import Actor
from hospitals.models import Doctor
from scheduling.models import ClinicSession, ClinicType, Slot
from scheduling.rules import local_datetime
from tests.accounts.factories import PatientProfileFactory, make_id_card_no
from tests.hospitals.factories import DepartmentFactory, DoctorFactory, HospitalFactory

S = Appointment.Status
# Tiny on purpose: a handful of fits keeps the tests fast.
TINY_GRID = Grid(depths=(2, 3), leaves=(10,), class_weights=("balanced",))
_numbers = itertools.count(1)


@pytest.fixture
def noshow_model_dir(settings, tmp_path):
    settings.NOSHOW_MODEL_DIR = tmp_path / "noshow_models"
    return settings.NOSHOW_MODEL_DIR


@dataclass
class History:
    doctors: list[Doctor]
    profiles: list
    flaky: set[int]  # profile ids that often miss
    appointments: list[Appointment]


def session_on(
    doctor: Doctor, day: datetime.date, *, clinic_type: str
) -> tuple[ClinicSession, Slot]:
    session = ClinicSession.objects.create(
        doctor=doctor,
        hospital=doctor.hospital,
        date=day,
        period="morning",
        start_time=datetime.time(8, 0),
        end_time=datetime.time(12, 0),
        fee=doctor.fee,
        clinic_type=clinic_type,
        release_at=local_datetime(day, datetime.time(8, 0))
        - datetime.timedelta(days=14),
        is_released=True,
        status=ClinicSession.Status.OPEN,
    )
    slot = Slot.objects.create(
        session=session,
        starts_at=local_datetime(day, datetime.time(8, 0)),
        ends_at=local_datetime(day, datetime.time(12, 0)),
        capacity=200,
        booked=0,
    )
    return session, slot


def appointment_row(
    *,
    profile,
    session: ClinicSession,
    slot: Slot,
    status: str,
    booked_at: datetime.datetime,
) -> Appointment:
    """One booking written straight to the table, booked at `booked_at`."""
    slot.booked += 1
    Slot.objects.filter(pk=slot.pk).update(booked=slot.booked)
    appointment = Appointment.objects.create(
        order_no=f"N{next(_numbers):012d}",
        user=profile.user,
        profile=profile,
        slot=slot,
        session=session,
        doctor=session.doctor,
        hospital=session.hospital,
        status=status,
        queue_no=slot.booked,
        fee=session.fee,
        visit_starts_at=slot.starts_at,
        visit_ends_at=slot.ends_at,
        holds_seat=None if status == S.CANCELLED else True,
    )
    # created_at is auto_now_add: set the booking time afterwards.
    Appointment.objects.filter(pk=appointment.pk).update(created_at=booked_at)
    appointment.created_at = booked_at
    return appointment


def generated_history(
    *, days: int = 30, per_day: int = 12, patients: int = 30, seed: int = 0
) -> History:
    """`days` past days of bookings at one hospital (two departments, three doctors)."""
    rng = random.Random(seed)
    hospital = HospitalFactory()
    departments = [DepartmentFactory(hospital=hospital) for _ in range(2)]
    doctors = [
        DoctorFactory(hospital=hospital, department=departments[0]),
        DoctorFactory(hospital=hospital, department=departments[0]),
        DoctorFactory(hospital=hospital, department=departments[1], fee=5000),
    ]
    types = [ClinicType.GENERAL, ClinicType.SPECIALIST, ClinicType.EXPERT]
    profiles = [
        PatientProfileFactory(
            id_card_no=make_id_card_no(
                datetime.date(
                    rng.randint(1940, 2015), rng.randint(1, 12), rng.randint(1, 28)
                ),
                female=rng.random() < 0.5,
            )
        )
        for _ in range(patients)
    ]
    flaky = {p.pk for p in profiles[: patients // 3]}
    today = timezone.localdate()
    appointments = []
    for back in range(days, 0, -1):
        day = today - datetime.timedelta(days=back)
        sessions = [
            session_on(d, day, clinic_type=t)
            for d, t in zip(doctors, types, strict=True)
        ]
        chosen = rng.sample(profiles, k=min(per_day, patients))
        for profile in chosen:
            session, slot = rng.choice(sessions)
            lead = rng.randint(0, 10)
            booked_at = local_datetime(
                day - datetime.timedelta(days=lead),
                datetime.time(rng.randint(7, 21), rng.randint(0, 59)),
            )
            chance = (0.65 if profile.pk in flaky else 0.08) + (
                0.15 if lead > 6 else 0.0
            )
            status = S.NO_SHOW if rng.random() < chance else S.COMPLETED
            appointments.append(
                appointment_row(
                    profile=profile,
                    session=session,
                    slot=slot,
                    status=status,
                    booked_at=booked_at,
                )
            )
    return History(
        doctors=doctors, profiles=profiles, flaky=flaky, appointments=appointments
    )


def train_active_model(
    *, actor: Actor | None = None, seed: int = 0, history: bool = True
) -> NoShowModel:
    """Generate a history (unless `history=False`: use the rows already there), train a
    tiny model on it and make it the active one. Needs the `noshow_model_dir` fixture."""
    if Path(settings.NOSHOW_MODEL_DIR).is_relative_to(settings.BASE_DIR):
        raise RuntimeError(
            "use the noshow_model_dir fixture: no model file in the project"
        )
    if history:
        generated_history(seed=seed)
    return noshow_model_train_own(
        actor=actor or Actor.system(), activate=True, grid=TINY_GRID
    )
