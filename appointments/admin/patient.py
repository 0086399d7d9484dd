"""How the desk sees and finds a patient: name, queue number, masked ID and phone.

The phone and ID number are stored encrypted; the desk finds a patient by the exact
account or patient phone, the full ID number (through its keyed lookup hash) or the ID number's last
four characters, and sees them only masked.
"""

import re

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import PatientProfile
from accounts.selectors import (
    ID_CARD_HASH_CONTEXT,
    PHONE_HASH_CONTEXT,
    profile_id_card_masked,
    profile_phone_masked,
)
from accounts.validators import parse_id_card
from common.crypto import DecryptionError, lookup_hash

# ASCII digits only (`\d` matches full-width digits too, which no stored number has).
_PHONE = re.compile(r"1[0-9]{10}")
_ID_LAST4 = re.compile(r"[0-9]{3}[0-9Xx]")


def patient_label(name: str, queue_no: int) -> str:
    """'张三（3号）': how every desk message names a patient."""
    return _("%(name)s (No. %(queue_no)d)") % {"name": name, "queue_no": queue_no}


def id_card_masked(profile: PatientProfile) -> str:
    try:
        return profile_id_card_masked(profile)
    except DecryptionError:
        return "*" * 14 + profile.id_card_last4


def phone_masked(profile: PatientProfile) -> str:
    try:
        return profile_phone_masked(profile)
    except DecryptionError:
        return "***********"


def patient_search_q(term: str, *, path: str = "profile") -> Q | None:
    """A filter for the patient a search term names exactly, or None.

    11 digits: the account phone or the patient's own phone (by its lookup hash); 18 characters: the ID number by its lookup hash; four
    digits (the last may be X): the ID number's last four. Names are searched as text.
    """
    term = term.strip()
    if _PHONE.fullmatch(term):
        # The account's phone, or the patient's own (family members have their own).
        digest = lookup_hash(term, context=PHONE_HASH_CONTEXT)
        return Q(**{f"{path}__user__phone": term}) | Q(
            **{f"{path}__phone_hash": digest}
        )
    if len(term) == 18:
        try:
            number = parse_id_card(term).number
        except ValidationError:  # not an ID number: nothing to match
            return None
        digest = lookup_hash(number, context=ID_CARD_HASH_CONTEXT)
        return Q(**{f"{path}__id_card_hash": digest})
    if _ID_LAST4.fullmatch(term):
        return Q(**{f"{path}__id_card_last4": term.upper()})
    return None
