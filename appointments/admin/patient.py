"""How the desk sees and finds a patient: name, queue number, masked ID and phone.

The phone, ID number and name are stored encrypted; the desk finds a patient by the exact
account or patient phone, the full ID number, the ID number's last four characters or the
exact full name (each through its keyed lookup hash), and sees the numbers only masked.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import PatientProfile
from accounts.selectors import (
    patient_profile_search_q,
    profile_id_card_masked,
    profile_phone_masked,
)
from common.crypto import DecryptionError


def patient_label(name: str, queue_no: int) -> str:
    """'张三（3号）': how every desk message names a patient."""
    return _("%(name)s (No. %(queue_no)d)") % {"name": name, "queue_no": queue_no}


def id_card_masked(profile: PatientProfile) -> str:
    try:
        return profile_id_card_masked(profile)
    except DecryptionError:
        return "*" * 18


def phone_masked(profile: PatientProfile) -> str:
    try:
        return profile_phone_masked(profile)
    except DecryptionError:
        return "***********"


def patient_search_q(term: str, *, path: str = "profile") -> Q | None:
    """A filter for the patient a search term names exactly, or None.

    The account or patient phone, the full ID number, its last four characters or the
    exact full name, each through its keyed lookup hash (accounts.selectors).
    """
    return patient_profile_search_q(term, path=path)
