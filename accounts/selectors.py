"""Reads of accounts data, scoped to the caller, and the decrypted / masked views of it.

Plaintext ID-card numbers and phones only exist in memory, returned by the `profile_*`
helpers below; API output uses the masked helpers. Never log what they return.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import PatientProfile, User
from common.crypto import decrypt, mask
from common.errors import NotFound

# Associated data bound into each ciphertext, so a value copied into another column
# does not decrypt there.
ID_CARD_CONTEXT = "accounts.PatientProfile.id_card_no"
PHONE_CONTEXT = "accounts.PatientProfile.phone"
INSURANCE_CARD_CONTEXT = "accounts.PatientProfile.insurance_card_no"
ID_CARD_HASH_CONTEXT = "id_card_no"
SESSION_KEY_CONTEXT = "accounts.User.wechat_session_key"

_MAX_ID = 2**63 - 1  # larger ids cannot exist and overflow some database drivers


def patient_profile_list_for_user(*, user: User) -> QuerySet[PatientProfile]:
    """The user's active profiles (deleted ones are hidden), oldest first."""
    return PatientProfile.objects.filter(user=user, is_active=True).order_by("id")


def patient_profile_get_for_user(*, user: User, profile_id: int) -> PatientProfile:
    """One of the user's active profiles.

    Raises NotFound("profile_not_found") when it does not exist, was deleted or belongs to
    someone else, so another user's id reveals nothing.
    """
    profile = None
    if isinstance(profile_id, int) and 0 < profile_id <= _MAX_ID:
        profile = patient_profile_list_for_user(user=user).filter(pk=profile_id).first()
    if profile is None:
        raise NotFound("profile_not_found", _("Patient profile not found."))
    return profile


def profile_id_card_no(profile: PatientProfile) -> str:
    return decrypt(profile.id_card_encrypted, context=ID_CARD_CONTEXT)


def profile_id_card_masked(profile: PatientProfile) -> str:
    """'110***********1234'."""
    return mask(profile_id_card_no(profile), keep_start=3, keep_end=4)


def profile_phone(profile: PatientProfile) -> str:
    return decrypt(profile.phone_encrypted, context=PHONE_CONTEXT)


def profile_phone_masked(profile: PatientProfile) -> str:
    """'138****1234'."""
    return mask(profile_phone(profile), keep_start=3, keep_end=4)


def profile_insurance_card_no(profile: PatientProfile) -> str:
    if not profile.insurance_card_encrypted:
        return ""
    return decrypt(profile.insurance_card_encrypted, context=INSURANCE_CARD_CONTEXT)


def profile_insurance_card_masked(profile: PatientProfile) -> str:
    number = profile_insurance_card_no(profile)
    return mask(number, keep_start=2, keep_end=4) if number else ""


def user_phone_masked(user: User) -> str | None:
    return mask(user.phone, keep_start=3, keep_end=4) if user.phone else None
