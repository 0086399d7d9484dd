"""A patient exports their own signed visit as PDF and as FHIR; nobody else can."""

import io

import pytest
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from tests.accounts.factories import UserFactory
from tests.records.factories import appointment_for, doctor_with_login
from tests.records.helpers import BASE, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

BODY = {
    "chief_complaint": "咳嗽三天",
    "diagnoses": [{"code": "J06.9", "text": "急性上呼吸道感染"}, {"text": "咽炎待排"}],
    "prescriptions": [
        {
            "drug": "对乙酰氨基酚片",
            "dose": "0.5g",
            "route": "口服",
            "frequency": "tid",
            "days": 3,
            "quantity": "9片",
        }
    ],
    "advice": "多饮水",
}


@pytest.fixture
def signed():
    appointment = appointment_for(doctor=doctor_with_login())
    doctor = client_for(appointment.doctor.user)
    record = doctor.post(
        f"{BASE}staff/appointments/{appointment.pk}/draft/", BODY, format="json"
    ).json()
    assert doctor.post(f"{BASE}staff/{record['id']}/sign/").status_code == 200
    return appointment, record["id"]


def _pdf_text(content: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return "".join(text.replace("\x00", "").split())


def test_the_patient_downloads_the_pdf_with_the_chinese_diagnosis(signed):
    appointment, record_id = signed

    answer = client_for(appointment.user).get(f"{BASE}{record_id}/export/pdf/")

    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Cache-Control"] == "private, no-store"
    text = _pdf_text(answer.content)
    assert "急性上呼吸道感染" in text
    assert "对乙酰氨基酚片" in text
    assert appointment.doctor.name in text


def test_the_patient_gets_a_valid_fhir_bundle(signed):
    appointment, record_id = signed

    answer = client_for(appointment.user).get(f"{BASE}{record_id}/export/fhir/")

    assert answer.status_code == 200
    bundle = Bundle.model_validate_json(answer.content)
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert kinds[:2] == ["Patient", "Encounter"]
    assert kinds.count("Condition") == 2
    assert kinds.count("MedicationRequest") == 1
    conditions = [
        e.resource
        for e in bundle.entry
        if e.resource.get_resource_type() == "Condition"
    ]
    assert conditions[0].code.coding[0].code == "J06.9"


@pytest.mark.parametrize("kind", ["pdf", "fhir"])
def test_another_patient_and_a_draft_get_404(kind):
    appointment = appointment_for(doctor=doctor_with_login())
    doctor = client_for(appointment.doctor.user)
    record = doctor.post(
        f"{BASE}staff/appointments/{appointment.pk}/draft/", BODY, format="json"
    ).json()

    draft = client_for(appointment.user).get(f"{BASE}{record['id']}/export/{kind}/")
    doctor.post(f"{BASE}staff/{record['id']}/sign/")
    other = client_for(UserFactory()).get(f"{BASE}{record['id']}/export/{kind}/")
    mine = client_for(appointment.user).get(f"{BASE}{record['id']}/export/{kind}/")

    assert draft.status_code == 404
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "record_not_found"
    assert mine.status_code == 200
