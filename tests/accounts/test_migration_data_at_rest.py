"""The data migration that takes phones, names and birth dates out of the clear."""

import datetime
import hashlib
import hmac
import re

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import PatientProfile, SmsCode, User
from accounts.selectors import (
    patient_profile_search_q,
    profile_id_card_no,
    profile_phone,
    user_get_by_phone,
)
from common import crypto
from tests.accounts.factories import make_id_card_no

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0006_late_cancel_appointment_id")]
AFTER = [("accounts", "0007_sensitive_data_at_rest")]
PHONE = "13912345678"
# A column's value that is a keyed lookup hash (HMAC-SHA256, hex) or a ciphertext.
_HASH = re.compile(r"[0-9a-f]{64}")
CIPHERTEXT_PREFIX = crypto.PREFIX


def _legacy_hash(value: str, context: str) -> str:
    key = hmac.new(settings.FIELD_ENCRYPTION_KEY, b"lookup-hash-key", hashlib.sha256)
    return hmac.new(
        key.digest(), f"{context}:{value}".encode(), hashlib.sha256
    ).hexdigest()


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps():
    apps = _migrate(BEFORE)
    yield apps
    # Back to the latest schema for the tests that follow.
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _seed_old(apps) -> tuple[int, str]:
    OldUser = apps.get_model("accounts", "User")
    OldSmsCode = apps.get_model("accounts", "SmsCode")
    OldProfile = apps.get_model("accounts", "PatientProfile")
    user = OldUser.objects.create(username="p1", phone=PHONE, password="!")
    now = timezone.now()
    OldSmsCode.objects.create(
        phone=PHONE, code_hash="x", created_at=now, expires_at=now
    )
    id_card_no = make_id_card_no(datetime.date(1975, 4, 9))
    profile = OldProfile.objects.create(
        user=user,
        name="王小明",
        relation="self",
        gender="male",
        birth_date=datetime.date(1975, 4, 9),
        phone_encrypted=crypto.encrypt(
            "13812341234", context="accounts.PatientProfile.phone"
        ),
        phone_hash=_legacy_hash("13812341234", "profile_phone"),
        id_card_encrypted=crypto.encrypt(
            id_card_no, context="accounts.PatientProfile.id_card_no"
        ),
        id_card_hash=_legacy_hash(id_card_no, "id_card_no"),
        id_card_last4=id_card_no[-4:],
        is_active=True,
    )
    return profile.pk, id_card_no


def test_existing_rows_are_converted_and_found_by_the_new_hashes(old_apps):
    # given: rows written before the migration, phones and names in clear
    profile_id, id_card_no = _seed_old(old_apps)

    # when
    _migrate(AFTER)

    # then: the values read back, and the desk and login find them by their hashes
    user = user_get_by_phone(phone=PHONE)
    assert user is not None
    assert user.phone == PHONE
    assert SmsCode.objects.get().phone == PHONE
    profile = PatientProfile.objects.get(pk=profile_id)
    assert (profile.name, profile.birth_date, profile.birth_year) == (
        "王小明",
        datetime.date(1975, 4, 9),
        1975,
    )
    assert profile_id_card_no(profile) == id_card_no
    assert profile_phone(profile) == "13812341234"
    for term in ("王小明", id_card_no, id_card_no[-4:], "13812341234", PHONE):
        query = patient_profile_search_q(term, path="")
        assert list(PatientProfile.objects.filter(query)) == [profile], term
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user")
        assert PHONE not in str(cursor.fetchall())
        cursor.execute("SELECT * FROM accounts_smscode")
        assert PHONE not in str(cursor.fetchall())
        cursor.execute("SELECT * FROM accounts_patientprofile")
        [values] = cursor.fetchall()
    row = str(values)
    assert "王小明" not in row
    assert "1975-04-09" not in row
    # The last four digits are in no column in clear. Searched column by column: a
    # lookup hash (hex) or a ciphertext (base64) may hold any 4 digits by chance, so those
    # columns are recognised by their form instead.
    for value in values:
        text = str(value)
        if _HASH.fullmatch(text) or text.startswith(CIPHERTEXT_PREFIX):
            continue
        assert id_card_no[-4:] not in text, text


def test_the_migration_goes_back_to_the_clear_columns(old_apps):
    # given
    profile_id, id_card_no = _seed_old(old_apps)
    _migrate(AFTER)

    # when
    apps = _migrate(BEFORE)

    # then
    OldProfile = apps.get_model("accounts", "PatientProfile")
    profile = OldProfile.objects.get(pk=profile_id)
    assert (profile.name, profile.birth_date, profile.id_card_last4) == (
        "王小明",
        datetime.date(1975, 4, 9),
        id_card_no[-4:],
    )
    assert profile.id_card_hash == _legacy_hash(id_card_no, "id_card_no")
    assert apps.get_model("accounts", "User").objects.get().phone == PHONE
    assert apps.get_model("accounts", "SmsCode").objects.get().phone == PHONE
    assert User.objects.count() == 1
