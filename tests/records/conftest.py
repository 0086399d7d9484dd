import pytest

from records.icd import ICD10_SUBSET
from records.models import Icd10Code


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Attachments go to a fresh folder per test (the default storage's MEDIA_ROOT)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def icd_subset_kept():
    """A transactional test empties every table afterwards; put the shipped codes back
    (and have them at the start, if an earlier transactional test emptied them)."""
    Icd10Code.objects.bulk_create(
        [Icd10Code(code=code, name=name) for code, name in ICD10_SUBSET],
        ignore_conflicts=True,
    )
    yield
    Icd10Code.objects.bulk_create(
        [Icd10Code(code=code, name=name) for code, name in ICD10_SUBSET],
        ignore_conflicts=True,
    )
