"""One visit as a FHIR R4B Bundle (type "collection").

Patient, Encounter, one Condition per diagnosis, one MedicationRequest per prescription,
one Observation per result line and one DiagnosticReport per report, linked by urn:uuid
references. The bundle is built as plain JSON and validated with fhir.resources' R4B models
before it leaves, so an export that does not conform fails here, not at the receiver.
"""

import datetime
import decimal
import uuid

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from records.export.document import Report, VisitDocument

ICD10 = "http://hl7.org/fhir/sid/icd-10"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
REPORT_SECTION = "http://terminology.hl7.org/CodeSystem/v2-0074"
UCUM = "http://unitsofmeasure.org"
# Stable ids: exporting the same record version twice gives the same bundle.
NAMESPACE = uuid.UUID("8f1d2c1e-5b0a-4d6e-9a57-3c2b1f0e4d21")

FLAGS = {"H": "High", "L": "Low", "N": "Normal", "A": "Abnormal"}
REPORT_KINDS = {"lab": ("LAB", "Laboratory"), "imaging": ("RAD", "Radiology")}


def _urn(doc: VisitDocument, *parts: object) -> str:
    name = "/".join(str(part) for part in (doc.record_id, doc.version, *parts))
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, name)}"


def _instant(value: datetime.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _quantity_or_string(value: str, unit: str) -> dict:
    try:
        number = decimal.Decimal(value.strip())
    except decimal.InvalidOperation:
        return {"valueString": value}
    if not number.is_finite():
        return {"valueString": value}
    quantity = {"value": number}
    if unit:
        quantity["unit"] = unit
    return {"valueQuantity": quantity}


class _Builder:
    def __init__(self, doc: VisitDocument) -> None:
        self.doc = doc
        self.entries: list[dict] = []
        self.patient = _urn(doc, "patient", doc.patient.id)
        self.encounter = _urn(doc, "encounter")

    def add(self, url: str, resource: dict) -> str:
        self.entries.append({"fullUrl": url, "resource": resource})
        return url

    def refs(self) -> dict:
        return {
            "subject": {"reference": self.patient},
            "encounter": {"reference": self.encounter},
        }

    def patient_and_encounter(self) -> None:
        doc, patient = self.doc, self.doc.patient
        resource = {"resourceType": "Patient", "name": [{"text": patient.name}]}
        if patient.gender in ("male", "female"):
            resource["gender"] = patient.gender
        if patient.birth_date:
            resource["birthDate"] = patient.birth_date.isoformat()
        self.add(self.patient, resource)
        period = {"start": _instant(doc.visit_started_at)}
        if doc.visit_ended_at:
            period["end"] = _instant(doc.visit_ended_at)
        self.add(
            self.encounter,
            {
                "resourceType": "Encounter",
                "status": "finished" if doc.visit_ended_at else "in-progress",
                "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
                "serviceType": {"text": doc.department},
                "subject": {"reference": self.patient},
                "participant": [{"individual": {"display": doc.doctor}}],
                "period": period,
                "serviceProvider": {"display": doc.hospital},
            },
        )

    def conditions(self) -> None:
        for n, diagnosis in enumerate(self.doc.diagnoses):
            code = {"text": diagnosis.text}
            if diagnosis.code:
                code["coding"] = [
                    {"system": ICD10, "code": diagnosis.code, "display": diagnosis.text}
                ]
            resource = {
                "resourceType": "Condition",
                "category": [
                    {
                        "coding": [
                            {
                                "system": CONDITION_CATEGORY,
                                "code": "encounter-diagnosis",
                            }
                        ]
                    }
                ],
                "code": code,
                **self.refs(),
            }
            if self.doc.signed_at:
                resource["recordedDate"] = _instant(self.doc.signed_at)
            self.add(_urn(self.doc, "condition", n), resource)

    def medication_requests(self) -> None:
        doc = self.doc
        for n, p in enumerate(doc.prescriptions):
            resource = {
                "resourceType": "MedicationRequest",
                "status": "active",
                "intent": "order",
                "medicationCodeableConcept": {"text": p.drug},
                **self.refs(),
                "requester": {"display": doc.doctor},
                "dosageInstruction": [
                    {
                        "text": " ".join(
                            v for v in (p.dose, p.route, p.frequency) if v
                        ),
                        "route": {"text": p.route},
                        "timing": {"code": {"text": p.frequency}},
                    }
                ],
                "dispenseRequest": {
                    "expectedSupplyDuration": {
                        "value": p.days,
                        "unit": "d",
                        "system": UCUM,
                        "code": "d",
                    }
                },
                "note": [{"text": p.quantity}] if p.quantity else [],
            }
            if doc.signed_at:
                resource["authoredOn"] = _instant(doc.signed_at)
            if not resource["note"]:
                del resource["note"]
            self.add(_urn(doc, "medication", n), resource)

    def report(self, report: Report) -> None:
        results = []
        for n, line in enumerate(report.results):
            observation = {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": line.item},
                **self.refs(),
                "effectiveDateTime": _instant(report.issued_at),
                **_quantity_or_string(line.value, line.unit),
            }
            if line.reference_range:
                observation["referenceRange"] = [{"text": line.reference_range}]
            if line.flag in FLAGS:
                observation["interpretation"] = [
                    {
                        "coding": [
                            {
                                "system": INTERPRETATION,
                                "code": line.flag,
                                "display": FLAGS[line.flag],
                            }
                        ]
                    }
                ]
            url = self.add(
                _urn(self.doc, "report", report.id, "result", n), observation
            )
            results.append({"reference": url})
        section, display = REPORT_KINDS.get(report.kind, ("OTH", "Other"))
        resource = {
            "resourceType": "DiagnosticReport",
            "status": "final",
            "category": [
                {
                    "coding": [
                        {"system": REPORT_SECTION, "code": section, "display": display}
                    ]
                }
            ],
            "code": {"text": report.title},
            **self.refs(),
            "issued": _instant(report.issued_at),
        }
        if results:
            resource["result"] = results
        if report.conclusion:
            resource["conclusion"] = report.conclusion
        self.add(_urn(self.doc, "report", report.id), resource)


def visit_bundle(doc: VisitDocument) -> dict:
    """The visit as a FHIR R4B Bundle (JSON-ready dict), validated before it is returned."""
    builder = _Builder(doc)
    builder.patient_and_encounter()
    builder.conditions()
    builder.medication_requests()
    for report in doc.reports:
        builder.report(report)
    bundle = {
        "resourceType": "Bundle",
        "id": _urn(doc, "bundle").removeprefix("urn:uuid:"),
        "type": "collection",
        "timestamp": _instant(doc.signed_at or doc.visit_started_at),
        "entry": builder.entries,
    }
    # Raises pydantic's ValidationError on a non-conforming bundle (a bug of ours).
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)
