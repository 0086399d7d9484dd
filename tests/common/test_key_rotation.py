"""The field-encryption key ring and `manage.py rotate_encryption_key`."""

import base64
import io

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import PatientProfile, SmsCode, User
from accounts.selectors import profile_id_card_no, profile_phone
from common import crypto
from tests.accounts.factories import PatientFactory, PatientProfileFactory

pytestmark = pytest.mark.django_db

KEY_A = b"A" * 32
KEY_B = b"B" * 32
KEY_C = b"C" * 32


@pytest.fixture
def under_key_a(settings):
    settings.FIELD_ENCRYPTION_KEY = KEY_A
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    return settings


def _rotate(settings, *, new: bytes, old: list[bytes], **options) -> str:
    settings.FIELD_ENCRYPTION_KEY = new
    settings.FIELD_ENCRYPTION_OLD_KEYS = old
    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def _raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def test_a_value_under_an_old_key_still_decrypts(under_key_a):
    # given
    token = crypto.encrypt("13800138000", context="c")

    # when: the key rotated, the old one kept for reading
    under_key_a.FIELD_ENCRYPTION_KEY = KEY_B
    under_key_a.FIELD_ENCRYPTION_OLD_KEYS = [KEY_A]

    # then
    assert crypto.decrypt(token, context="c") == "13800138000"
    assert crypto.encrypt("x", context="c").startswith(crypto.current_prefix())
    assert not token.startswith(crypto.current_prefix())


def test_a_value_whose_key_is_gone_does_not_decrypt(under_key_a):
    token = crypto.encrypt("13800138000", context="c")

    under_key_a.FIELD_ENCRYPTION_KEY = KEY_B

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="c")


def test_lookup_hashes_do_not_depend_on_the_encryption_key(under_key_a):
    before = crypto.lookup_hash("13800138000", context="phone")

    under_key_a.FIELD_ENCRYPTION_KEY = KEY_B

    assert crypto.lookup_hash("13800138000", context="phone") == before


def test_rotation_reencrypts_every_column_and_keeps_every_hash(under_key_a):
    # given: an account with a phone, a login code and a profile, all under key A
    user = PatientFactory(phone="13800138000")
    SmsCode.objects.create(
        phone="13800138000",
        code_hash="x",
        created_at=user.date_joined,
        expires_at=user.date_joined,
    )
    profile = PatientProfileFactory(
        user=user,
        name="王小明",
        insurance_card_encrypted=crypto.encrypt(
            "SB1234", context="accounts.PatientProfile.insurance_card_no"
        ),
    )
    id_card = profile_id_card_no(profile)
    hashes = list(
        PatientProfile.objects.values_list(
            "name_hash", "phone_hash", "id_card_hash", "id_card_last4_hash"
        )
    )
    user_hash = User.objects.get(pk=user.pk).phone_hash
    before = _raw("accounts_patientprofile", "name_encrypted")

    # when
    summary = _rotate(under_key_a, new=KEY_B, old=[KEY_A])

    # then: every encrypted column is under key B ...
    prefix = crypto.current_prefix()
    for table, column in [
        ("accounts_user", "phone_encrypted"),
        ("accounts_smscode", "phone_encrypted"),
        ("accounts_patientprofile", "name_encrypted"),
        ("accounts_patientprofile", "birth_date_encrypted"),
        ("accounts_patientprofile", "phone_encrypted"),
        ("accounts_patientprofile", "id_card_encrypted"),
        ("accounts_patientprofile", "insurance_card_encrypted"),
    ]:
        assert all(value.startswith(prefix) for value in _raw(table, column)), column
    assert _raw("accounts_patientprofile", "name_encrypted") != before
    assert summary.startswith("Re-encrypted 7 values in ")
    assert summary.rstrip().endswith("0 left under old keys.")
    # ... readable without the old key, and no lookup hash moved.
    under_key_a.FIELD_ENCRYPTION_OLD_KEYS = []
    profile = PatientProfile.objects.get(pk=profile.pk)
    assert profile.name == "王小明"
    assert profile_id_card_no(profile) == id_card
    assert profile_phone(profile)
    assert User.objects.get(pk=user.pk).phone == "13800138000"
    assert SmsCode.objects.get().phone == "13800138000"
    assert (
        list(
            PatientProfile.objects.values_list(
                "name_hash", "phone_hash", "id_card_hash", "id_card_last4_hash"
            )
        )
        == hashes
    )
    assert User.objects.get(pk=user.pk).phone_hash == user_hash


def test_rotation_run_again_changes_nothing(under_key_a):
    PatientProfileFactory()
    _rotate(under_key_a, new=KEY_B, old=[KEY_A], batch_size=2)
    after_first = _raw("accounts_patientprofile", "name_encrypted")

    summary = _rotate(under_key_a, new=KEY_B, old=[KEY_A])

    assert summary.startswith("Re-encrypted 0 values")
    assert _raw("accounts_patientprofile", "name_encrypted") == after_first


def test_rotation_works_in_batches(under_key_a):
    for _ in range(5):
        PatientProfileFactory()

    summary = _rotate(under_key_a, new=KEY_B, old=[KEY_A], batch_size=2)

    # 5 profiles x (name, birth date, phone, ID number) + 5 accounts' phones
    assert summary.startswith("Re-encrypted 20 values")
    prefix = crypto.current_prefix()
    assert all(
        v.startswith(prefix) for v in _raw("accounts_patientprofile", "name_encrypted")
    )


def test_rotation_refuses_to_start_without_an_old_key_and_changes_nothing(under_key_a):
    PatientProfileFactory()
    before = _raw("accounts_patientprofile", "name_encrypted")

    with pytest.raises(CommandError, match="No old key configured"):
        _rotate(under_key_a, new=KEY_A, old=[])

    assert _raw("accounts_patientprofile", "name_encrypted") == before


def test_rotation_refuses_the_new_key_listed_as_old(under_key_a):
    with pytest.raises(CommandError, match="must differ"):
        _rotate(under_key_a, new=KEY_B, old=[KEY_A, KEY_B])


def test_rotation_stops_on_a_value_no_key_opens(under_key_a):
    # given: one profile under key C, which the rotation is not told about
    PatientProfileFactory()
    under_key_a.FIELD_ENCRYPTION_KEY = KEY_C
    stray = PatientProfileFactory()

    # when / then
    with pytest.raises(CommandError, match=f"row {stray.pk}"):
        _rotate(under_key_a, new=KEY_B, old=[KEY_A])


def test_legacy_values_without_a_key_id_are_rotated(under_key_a):
    # given: a value in the format before key ids ("v1:" + base64)
    profile = PatientProfileFactory()
    nonce = b"\0" * 12
    sealed = AESGCM(KEY_A).encrypt(
        nonce, "李四".encode(), b"accounts.PatientProfile.name"
    )
    legacy = "v1:" + base64.b64encode(nonce + sealed).decode()
    PatientProfile.objects.filter(pk=profile.pk).update(name_encrypted=legacy)

    # when
    _rotate(under_key_a, new=KEY_B, old=[KEY_A])

    # then
    under_key_a.FIELD_ENCRYPTION_OLD_KEYS = []
    profile.refresh_from_db()
    assert profile.name_encrypted.startswith(crypto.current_prefix())
    assert profile.name == "李四"
