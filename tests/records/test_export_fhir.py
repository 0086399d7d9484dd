"""The visit as a FHIR R4B Bundle, validated with fhir.resources."""

import json

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from records.export.document import Report, ResultLine
from records.export.fhir import ICD10, visit_bundle
from tests.records.export_helpers import DIAGNOSIS, visit_document


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind
    ]


def _references(value) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def test_the_bundle_validates_as_r4b_json_and_each_resource_as_its_type():
    bundle = visit_bundle(visit_document())

    parsed = Bundle.model_validate_json(json.dumps(bundle, ensure_ascii=False))
    assert parsed.type == "collection"
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == [
        "Patient",
        "Encounter",
        "Condition",
        "Condition",
        "MedicationRequest",
        "Observation",
        "Observation",
        "DiagnosticReport",
        "DiagnosticReport",
    ]


def test_every_reference_points_into_the_bundle():
    bundle = visit_bundle(visit_document())

    urls = {e["fullUrl"] for e in bundle["entry"]}
    references = _references([e["resource"] for e in bundle["entry"]])
    assert references
    assert set(references) <= urls
    assert len(urls) == len(bundle["entry"])


def test_diagnoses_carry_icd10_and_the_chinese_text():
    first, free_text = _resources(visit_bundle(visit_document()), "Condition")

    assert first["code"]["coding"] == [
        {"system": ICD10, "code": "J06.9", "display": DIAGNOSIS}
    ]
    assert first["code"]["text"] == DIAGNOSIS
    assert "coding" not in free_text["code"]
    assert free_text["code"]["text"] == "咽炎待排"


def test_prescriptions_results_and_reports():
    bundle = visit_bundle(visit_document())

    (medication,) = _resources(bundle, "MedicationRequest")
    assert medication["medicationCodeableConcept"] == {"text": "对乙酰氨基酚片"}
    assert medication["dispenseRequest"]["expectedSupplyDuration"]["value"] == 3
    assert medication["dosageInstruction"][0]["text"] == "0.5 g 口服 每日三次"
    high, normal = _resources(bundle, "Observation")
    assert high["valueQuantity"] == {"value": 10.8, "unit": "10^9/L"}
    assert high["interpretation"][0]["coding"][0]["code"] == "H"
    assert high["referenceRange"] == [{"text": "3.5-9.5"}]
    assert normal["interpretation"][0]["coding"][0]["code"] == "N"
    lab, imaging = _resources(bundle, "DiagnosticReport")
    observation_urls = [
        e["fullUrl"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    ]
    assert [r["reference"] for r in lab["result"]] == observation_urls
    assert lab["category"][0]["coding"][0]["code"] == "LAB"
    assert imaging["category"][0]["coding"][0]["code"] == "RAD"
    assert imaging["conclusion"] == "双肺未见明显异常"
    assert "result" not in imaging


def test_a_text_result_stays_text_and_an_open_visit_is_in_progress():
    report = Report(
        id=9,
        kind="lab",
        title="尿常规",
        issued_at=visit_document().visit_started_at,
        results=(ResultLine("尿蛋白", "阴性(-)", "", "阴性", ""),),
    )
    bundle = visit_bundle(
        visit_document(reports=(report,), visit_ended_at=None, signed_at=None)
    )

    (observation,) = _resources(bundle, "Observation")
    assert observation["valueString"] == "阴性(-)"
    assert "interpretation" not in observation
    (encounter,) = _resources(bundle, "Encounter")
    assert encounter["status"] == "in-progress"
    assert "end" not in encounter["period"]


def test_the_same_version_exports_the_same_bundle_and_another_version_does_not():
    assert visit_bundle(visit_document()) == visit_bundle(visit_document())
    assert (
        visit_bundle(visit_document(version=3))["id"]
        != visit_bundle(visit_document())["id"]
    )
