import pytest

from accounts.selectors import (
    patient_profile_get_for_user,
    patient_profile_list_for_user,
    profile_insurance_card_masked,
    user_phone_masked,
)
from common.errors import NotFound
from tests.accounts.factories import PatientFactory, PatientProfileFactory

pytestmark = pytest.mark.django_db


def test_get_for_user_returns_my_active_profile():
    profile = PatientProfileFactory()

    assert (
        patient_profile_get_for_user(user=profile.user, profile_id=profile.pk)
        == profile
    )


@pytest.mark.parametrize("case", ["someone_else", "deleted", "missing", "zero", "huge"])
def test_get_for_user_raises_profile_not_found(case):
    me = PatientFactory()
    profile = PatientProfileFactory(user=me)
    profile_id = {
        "someone_else": PatientProfileFactory().pk,
        "deleted": PatientProfileFactory(user=me, is_active=None).pk,
        "missing": profile.pk + 1000,
        "zero": 0,
        "huge": 2**64,
    }[case]

    with pytest.raises(NotFound) as excinfo:
        patient_profile_get_for_user(user=me, profile_id=profile_id)

    assert excinfo.value.code == "profile_not_found"
    assert excinfo.value.status_code == 404


def test_list_for_user_hides_deleted_and_others_profiles():
    me = PatientFactory()
    first = PatientProfileFactory(user=me)
    PatientProfileFactory(user=me, is_active=None)
    second = PatientProfileFactory(user=me)
    PatientProfileFactory()

    assert list(patient_profile_list_for_user(user=me)) == [first, second]


def test_masks():
    assert user_phone_masked(PatientFactory(phone="13812345678")) == "138****5678"
    assert user_phone_masked(PatientFactory(phone=None)) is None
    assert profile_insurance_card_masked(PatientProfileFactory()) == ""
    assert (
        profile_insurance_card_masked(
            PatientProfileFactory(insurance_card_no="SB12345678")
        )
        == "SB****5678"
    )
