"""What a record version holds, checked and normalised before any write."""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from records.errors import ErrorCode
from records.icd import icd10_code_is_valid
from records.models import Icd10Code

TEXT_FIELDS = (
    "chief_complaint",
    "present_illness",
    "history",
    "examination",
    "orders",
    "advice",
)
PRESCRIPTION_FIELDS = ("drug", "dose", "route", "frequency", "days", "quantity")


@dataclass(frozen=True)
class RecordContent:
    chief_complaint: str = ""
    present_illness: str = ""
    history: str = ""
    examination: str = ""
    diagnoses: list[dict] = field(default_factory=list)
    prescriptions: list[dict] = field(default_factory=list)
    orders: str = ""
    advice: str = ""
    follow_up_date: datetime.date | None = None

    def is_empty(self) -> bool:
        return not (self.chief_complaint.strip() or self.diagnoses)


def diagnoses_normalise(diagnoses: list[dict]) -> list[dict]:
    """[{"code", "text"}]: a code must look like J06.9; a code of the shipped subset
    without text gets the subset's name; a diagnosis without a code needs text.

    Raises DomainError invalid_icd10_code (400) naming the position of the first bad one.
    """
    codes = {
        row.code: row.name
        for row in Icd10Code.objects.filter(
            code__in=[(d.get("code") or "").strip().upper() for d in diagnoses]
        )
    }
    normalised = []
    for position, diagnosis in enumerate(diagnoses):
        code = (diagnosis.get("code") or "").strip().upper()
        text = (diagnosis.get("text") or "").strip()
        if code and not icd10_code_is_valid(code):
            raise DomainError(
                ErrorCode.INVALID_ICD10_CODE,
                _("%(code)s is not an ICD-10 code (like J06.9).") % {"code": code},
                fields={"diagnoses": {str(position): [str(_("Invalid ICD-10 code."))]}},
            )
        if not text:
            text = codes.get(code, "")
        if not text:
            raise DomainError(
                ErrorCode.INVALID_ICD10_CODE,
                _("A diagnosis needs a text, or a code of the common list."),
                fields={"diagnoses": {str(position): [str(_("Text required."))]}},
            )
        normalised.append({"code": code, "text": text})
    return normalised


def prescriptions_normalise(prescriptions: list[dict]) -> list[dict]:
    return [
        {key: prescription.get(key, "") for key in PRESCRIPTION_FIELDS}
        for prescription in prescriptions
    ]


def content_normalise(content: RecordContent) -> RecordContent:
    return RecordContent(
        **{name: getattr(content, name).strip() for name in TEXT_FIELDS},
        diagnoses=diagnoses_normalise(content.diagnoses),
        prescriptions=prescriptions_normalise(content.prescriptions),
        follow_up_date=content.follow_up_date,
    )


def content_of(version) -> RecordContent:
    return RecordContent(
        **{name: getattr(version, name) for name in TEXT_FIELDS},
        diagnoses=version.diagnoses,
        prescriptions=version.prescriptions,
        follow_up_date=version.follow_up_date,
    )


def content_apply(version, content: RecordContent) -> None:
    for name in TEXT_FIELDS:
        setattr(version, name, getattr(content, name))
    version.diagnoses = content.diagnoses
    version.prescriptions = content.prescriptions
    version.follow_up_date = content.follow_up_date
