"""Medical records (电子病历): visit records and their versions, reports, the access log."""

from records.models.access_log import RecordAccess
from records.models.icd import Icd10Code
from records.models.record import RecordVersion, VisitRecord
from records.models.report import Attachment, Report

__all__ = [
    "Attachment",
    "Icd10Code",
    "RecordAccess",
    "RecordVersion",
    "Report",
    "VisitRecord",
]
