"""What one exported visit holds: plain values, ready to render."""

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Diagnosis:
    text: str
    code: str = ""  # ICD-10, e.g. "J06.9"; empty for a free-text diagnosis


@dataclass(frozen=True)
class Prescription:
    drug: str
    dose: str
    route: str
    frequency: str
    days: int
    quantity: str


@dataclass(frozen=True)
class ResultLine:
    item: str
    value: str
    unit: str = ""
    reference_range: str = ""
    flag: str = ""  # "H", "L", "N", "A" (abnormal) or empty


@dataclass(frozen=True)
class Report:
    id: int
    kind: str  # "lab" or "imaging"
    title: str
    issued_at: datetime.datetime
    conclusion: str = ""
    results: tuple[ResultLine, ...] = ()


@dataclass(frozen=True)
class Patient:
    id: int
    name: str
    gender: str = ""  # "male", "female" or empty
    birth_date: datetime.date | None = None


@dataclass(frozen=True)
class VisitDocument:
    record_id: int
    version: int
    patient: Patient
    hospital: str
    department: str
    doctor: str
    visit_started_at: datetime.datetime
    visit_ended_at: datetime.datetime | None = None
    chief_complaint: str = ""
    present_illness: str = ""
    history: str = ""
    examination: str = ""
    diagnoses: tuple[Diagnosis, ...] = ()
    prescriptions: tuple[Prescription, ...] = ()
    orders: str = ""
    advice: str = ""
    follow_up_on: datetime.date | None = None
    signed_by: str = ""
    signed_at: datetime.datetime | None = None
    reports: tuple[Report, ...] = field(default=())
