"""The personal data of accounts that is never stored in clear, and how it is read.

An account's and an SMS code's phone, a patient profile's name and birth date are kept as
an AES-GCM copy (common.crypto.encrypt) plus, where something looks them up, a keyed hash
(common.crypto.lookup_hash). These mixins give the models `phone`, `name` and
`birth_date` attributes that decrypt on read and encrypt and hash on write, so
`User(phone=...)` and `profile.name` work; a query by those names fails loudly because no
such column exists: look up through the hashes (accounts.selectors).
"""

import datetime

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common import crypto

# Associated data bound into each ciphertext (a value copied into another column does not
# decrypt there) and the contexts of the keyed lookup hashes (common.crypto).
ID_CARD_CONTEXT = "accounts.PatientProfile.id_card_no"
PHONE_CONTEXT = "accounts.PatientProfile.phone"
INSURANCE_CARD_CONTEXT = "accounts.PatientProfile.insurance_card_no"
SESSION_KEY_CONTEXT = "accounts.User.wechat_session_key"
ID_CARD_HASH_CONTEXT = "id_card_no"
PHONE_HASH_CONTEXT = "profile_phone"
USER_PHONE_CONTEXT = "accounts.User.phone"
SMS_PHONE_CONTEXT = "accounts.SmsCode.phone"
# One context for the account phone and the SMS codes' phone: the same number, looked up
# the same way (login, limits per phone).
PHONE_LOOKUP_CONTEXT = "phone"
NAME_CONTEXT = "accounts.PatientProfile.name"
NAME_HASH_CONTEXT = "profile_name"
BIRTH_DATE_CONTEXT = "accounts.PatientProfile.birth_date"
ID_CARD_LAST4_HASH_CONTEXT = "id_card_last4"


def name_lookup_key(name: str) -> str:
    """What a name's lookup hash is computed from: trimmed, inner spaces single, casefolded."""
    return " ".join(name.split()).casefold()


def name_lookup_hash(name: str) -> str:
    """The keyed hash the desk finds a patient by: the exact full name."""
    return crypto.lookup_hash(name_lookup_key(name), context=NAME_HASH_CONTEXT)


def id_card_last4_hash(last4: str) -> str:
    return crypto.lookup_hash(last4.upper(), context=ID_CARD_LAST4_HASH_CONTEXT)


def phone_lookup_hash(phone: str) -> str:
    return crypto.lookup_hash(phone, context=PHONE_LOOKUP_CONTEXT)


class EncryptedPhoneMixin:
    """`phone` reads and writes an AES-GCM copy plus a keyed lookup hash; no clear column.

    Find a row by phone through its hash (accounts.selectors.user_get_by_phone for users);
    `filter(phone=...)` fails loudly because there is no such column.
    """

    phone_encrypted: str
    phone_hash: str | None
    PHONE_CONTEXT: str

    @property
    def phone(self) -> str | None:
        if not self.phone_encrypted:
            return None
        return crypto.decrypt(self.phone_encrypted, context=self.PHONE_CONTEXT)

    @phone.setter
    def phone(self, value: str | None) -> None:
        if value:
            self.phone_encrypted = crypto.encrypt(value, context=self.PHONE_CONTEXT)
            self.phone_hash = phone_lookup_hash(value)
        else:
            self.phone_encrypted = ""
            self.phone_hash = None


class ProfileSensitiveMixin:
    """`name` and `birth_date` of a patient profile (the columns are in accounts.models)."""

    name_encrypted: str
    name_hash: str
    birth_date_encrypted: str
    birth_year: int

    @property
    def name(self) -> str:
        if not self.name_encrypted:
            return ""
        return crypto.decrypt(self.name_encrypted, context=NAME_CONTEXT)

    @name.setter
    def name(self, value: str) -> None:
        self.name_encrypted = crypto.encrypt(value, context=NAME_CONTEXT)
        self.name_hash = name_lookup_hash(value)

    @property
    def birth_date(self) -> datetime.date | None:
        if not self.birth_date_encrypted:
            return None
        text = crypto.decrypt(self.birth_date_encrypted, context=BIRTH_DATE_CONTEXT)
        return datetime.date.fromisoformat(text)

    @birth_date.setter
    def birth_date(self, value: datetime.date) -> None:
        self.birth_date_encrypted = crypto.encrypt(
            value.isoformat(), context=BIRTH_DATE_CONTEXT
        )
        self.birth_year = value.year


# Column titles wherever a property is listed (the admin reads short_description).
EncryptedPhoneMixin.phone.fget.short_description = _("phone")  # type: ignore[attr-defined]
ProfileSensitiveMixin.name.fget.short_description = pgettext_lazy("person", "name")  # type: ignore[attr-defined]
ProfileSensitiveMixin.birth_date.fget.short_description = _("birth date")  # type: ignore[attr-defined]

# Every column that holds ciphertext, for the key rotation (manage.py rotate_encryption_key).
for _model, _field, _context in (
    ("accounts.User", "phone_encrypted", USER_PHONE_CONTEXT),
    ("accounts.User", "wechat_session_key", SESSION_KEY_CONTEXT),
    ("accounts.SmsCode", "phone_encrypted", SMS_PHONE_CONTEXT),
    ("accounts.PatientProfile", "name_encrypted", NAME_CONTEXT),
    ("accounts.PatientProfile", "birth_date_encrypted", BIRTH_DATE_CONTEXT),
    ("accounts.PatientProfile", "phone_encrypted", PHONE_CONTEXT),
    ("accounts.PatientProfile", "id_card_encrypted", ID_CARD_CONTEXT),
    ("accounts.PatientProfile", "insurance_card_encrypted", INSURANCE_CARD_CONTEXT),
):
    crypto.register_encrypted_column(model=_model, field=_field, context=_context)
