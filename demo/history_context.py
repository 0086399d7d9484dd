"""What planning a history (demo/history.py) keeps from day to day, and its rows."""

import datetime
import random
from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import PatientProfile
from appointments.models import Appointment, WaitlistEntry
from billing.models import PaymentOrder, Refund
from scheduling import rules
from scheduling.models import ClinicSession, ScheduleTemplate, Slot

S = Appointment.Status
ORDER_PREFIX = "HY"  # every seeded appointment's order number starts with it


@dataclass
class Visit:
    """One appointment and the money and waitlist rows that go with it."""

    appointment: Appointment
    lead: int = 0  # days booked ahead of the visit day
    order: PaymentOrder | None = None
    refund: Refund | None = None


@dataclass
class DayPlan:
    sessions: list[ClinicSession] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    waitlist: list[WaitlistEntry] = field(default_factory=list)


@dataclass
class HistoryContext:
    """What planning keeps from one day to the next."""

    rng: random.Random
    hospital_id: int
    hospital_name: str
    templates: list[ScheduleTemplate]
    pool: list[PatientProfile]
    start: datetime.date
    window_days: int = 7
    trait: dict[int, float] = field(default_factory=dict)
    # Each patient's visits so far: (visit day, missed), in day order.
    past: dict[int, list[tuple[datetime.date, bool]]] = field(default_factory=dict)
    numbers: int = 0

    def __post_init__(self) -> None:
        for profile in self.pool:
            self.trait[profile.pk] = self.rng.gauss(0, 0.9)

    def next_number(self, day: datetime.date) -> str:
        self.numbers += 1
        return f"{ORDER_PREFIX}{self.hospital_id}{day:%y%m%d}{self.numbers:07d}"


def local_at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return rules.local_datetime(day, time)


def minutes(value: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=value)


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()
