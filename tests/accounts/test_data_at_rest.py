"""Phones, names and birth dates are not stored in clear, and are found through hashes."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import PatientProfile, SmsCode, User
from accounts.selectors import patient_profile_search_q, user_get_by_phone
from accounts.services.login import sms_code_send, user_login_with_sms
from common import crypto
from common.services import Actor
from tests.accounts.factories import (
    PatientFactory,
    PatientProfileFactory,
    make_id_card_no,
)

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def _raw_row(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return " ".join(str(value) for value in cursor.fetchone())


def _raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


def test_an_account_created_by_sms_login_holds_no_clear_phone(sms_server):
    # given
    sms_code_send(actor=Actor(ip="10.0.0.1"), phone=PHONE)

    # when
    user, created = user_login_with_sms(
        actor=Actor(), phone=PHONE, code=sms_server.last_code(PHONE)
    )

    # then: neither the account's row nor the code's row holds the number
    assert created is True
    assert PHONE not in _raw_row("accounts_user", user.pk)
    assert PHONE[-8:] not in _raw_rows("accounts_smscode")
    assert PHONE[-8:] not in _raw_row("accounts_user", user.pk)
    # ... and both read it back decrypted
    assert User.objects.get(pk=user.pk).phone == PHONE
    assert SmsCode.objects.get().phone == PHONE


def test_a_user_is_found_by_phone_through_the_selector_only():
    user = PatientFactory(phone=PHONE)
    PatientFactory(phone="13900000000")

    assert user_get_by_phone(phone=PHONE) == user
    assert user_get_by_phone(phone="13700000000") is None


def test_one_account_per_phone_is_held_by_the_database():
    PatientFactory(phone=PHONE)

    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(phone=PHONE)

    assert User.objects.filter(phone_hash=User(phone=PHONE).phone_hash).count() == 1


def test_a_user_without_a_phone_stores_nulls_that_never_collide():
    first = PatientFactory(phone=None)
    second = PatientFactory(phone="")

    assert (first.phone, second.phone) == (None, None)
    assert User.objects.filter(phone_hash__isnull=True).count() == 2


def test_a_profile_keeps_only_the_birth_year_in_clear():
    profile = PatientProfileFactory(
        name="赵 六", id_card_no=make_id_card_no(datetime.date(1985, 6, 1))
    )

    profile = PatientProfile.objects.get(pk=profile.pk)

    assert profile.birth_year == 1985
    assert profile.birth_date == datetime.date(1985, 6, 1)
    assert profile.name == "赵 六"
    assert "1985-06-01" not in _raw_row("accounts_patientprofile", profile.pk)
    assert "赵 六" not in _raw_row("accounts_patientprofile", profile.pk)


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("王小明", True),
        ("  王小明 ", True),
        ("王小", False),  # names match whole, never in part
        ("13812341234", True),  # the patient's own phone
        (PHONE, True),  # the account's phone
        ("LAST4", True),  # the ID number's last 4
        ("OTHER4", False),
    ],
)
def test_the_search_finds_a_profile_by_whole_values_only(term, found):
    # given
    id_card_no = make_id_card_no(serial=2)
    profile = PatientProfileFactory(
        user=PatientFactory(phone=PHONE),
        name="王小明",
        phone="13812341234",
        id_card_no=id_card_no,
    )
    last4 = id_card_no[-4:]
    term = {
        "LAST4": last4,
        "OTHER4": f"{(int(last4[:3]) + 1) % 1000:03d}{last4[3]}",
    }.get(term, term)
    PatientProfileFactory(name="李四")

    # when
    query = patient_profile_search_q(term, path="")

    # then
    assert list(PatientProfile.objects.filter(query)) == ([profile] if found else [])


def test_a_lookup_hash_is_not_the_ciphertexts_key():
    # The lookup hashes are keyed apart from the encryption key: rotating the one leaves
    # the other (and so every stored hash) as it is.
    user = PatientFactory(phone=PHONE)

    assert user.phone_hash == crypto.lookup_hash(PHONE, context="phone")
    assert user.phone_encrypted.startswith(crypto.current_prefix())
