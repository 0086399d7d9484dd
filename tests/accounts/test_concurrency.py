"""Real threads against the real engine: run on MariaDB/MySQL, skipped on SQLite.

Each thread has its own connection and transaction, so the row locks, conditional
UPDATEs and unique keys are what keep the rules, not the test.
"""

import datetime
from collections import Counter
from collections.abc import Callable

import pytest

from accounts.models import PatientProfile, SmsCode, User
from accounts.sensitive import phone_lookup_hash
from accounts.services.login import (
    sms_code_send,
    user_login_with_sms,
    user_login_with_wechat,
)
from accounts.services.profiles import patient_profile_create
from accounts.services.tokens import token_refresh, user_tokens_issue
from common.errors import DomainError
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import PatientFactory, make_id_card_no
from tests.race import needs_row_locks, run_at_once

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]

THREADS = 10


def outcome(result: object) -> str:
    if isinstance(result, DomainError):
        return result.code
    if isinstance(result, Exception):
        return repr(result)
    return "ok"


def test_concurrent_creates_never_pass_the_cap_of_five():
    # given
    user = PatientFactory()
    ids = [
        make_id_card_no(datetime.date(1980, 1, 1) + datetime.timedelta(days=i))
        for i in range(THREADS)
    ]

    def create(id_card_no: str) -> Callable[[], object]:
        return lambda: patient_profile_create(
            actor=Actor(user=user),
            user=user,
            name="并发",
            relation="child",
            id_card_no=id_card_no,
            phone="13800138000",
        )

    # when
    results = run_at_once([create(i) for i in ids])

    # then
    assert Counter(outcome(r) for r in results) == {
        "ok": 5,
        "profile_limit_reached": 5,
    }
    assert PatientProfile.objects.filter(user=user, is_active=True).count() == 5
    assert OperationLog.objects.filter(action="patient_profile_create").count() == 5


def test_concurrent_refreshes_of_one_token_rotate_it_once():
    tokens = user_tokens_issue(user=PatientFactory())

    results = run_at_once(
        [lambda: token_refresh(refresh=tokens["refresh"]) for _ in range(THREADS)]
    )

    assert Counter(outcome(r) for r in results) == {
        "ok": 1,
        "token_not_valid": THREADS - 1,
    }


def test_concurrent_logins_with_one_sms_code_succeed_once(sms_server):
    sms_code_send(actor=Actor(ip="10.0.0.1"), phone="13800138000")
    code = sms_server.last_code("13800138000")

    results = run_at_once(
        [
            lambda: user_login_with_sms(actor=Actor(), phone="13800138000", code=code)
            for _ in range(THREADS)
        ]
    )

    assert Counter(outcome(r) for r in results) == {
        "ok": 1,
        "sms_code_invalid": THREADS - 1,
    }
    assert User.objects.filter(phone_hash=phone_lookup_hash("13800138000")).count() == 1


def test_concurrent_first_wechat_logins_create_one_user(wechat_server):
    for i in range(THREADS):
        wechat_server.add_login_code(f"c{i}", openid="o-same", session_key=f"sk{i}")

    results = run_at_once(
        [
            (lambda i=i: user_login_with_wechat(actor=Actor(), code=f"c{i}"))
            for i in range(THREADS)
        ]
    )

    assert Counter(outcome(r) for r in results) == {"ok": THREADS}
    assert sum(1 for r in results if r[1]) == 1  # exactly one "created"
    assert User.objects.filter(wechat_openid="o-same").count() == 1
    assert (
        OperationLog.objects.filter(action="user_create_by_wechat_login").count() == 1
    )


def test_concurrent_sends_to_one_phone_text_once(sms_server):
    results = run_at_once(
        [
            lambda: sms_code_send(actor=Actor(ip="10.0.0.1"), phone="13800138000")
            for _ in range(THREADS)
        ]
    )

    assert Counter(outcome(r) for r in results) == {
        "ok": 1,
        "sms_too_frequent": THREADS - 1,
    }
    assert SmsCode.objects.count() == 1
    assert len(sms_server.received) == 1


def test_concurrent_accounts_adding_one_id_number_never_pass_its_account_limit(
    settings,
):
    # given: the person is a patient on one account; at most three accounts
    settings.MAX_ACCOUNTS_PER_ID_CARD = 3
    id_card_no = make_id_card_no(datetime.date(1980, 1, 1))
    patient_profile_create(
        actor=Actor(),
        user=PatientFactory(),
        name="张三",
        relation="self",
        id_card_no=id_card_no,
        phone="13800138000",
    )
    accounts = [PatientFactory() for _ in range(THREADS)]

    def create(user: User) -> Callable[[], object]:
        return lambda: patient_profile_create(
            actor=Actor(user=user),
            user=user,
            name="张三",
            relation="self",
            id_card_no=id_card_no,
            phone="13800138000",
        )

    # when
    results = run_at_once([create(user) for user in accounts])

    # then: the person's row lock counts the accounts one after the other
    assert Counter(outcome(r) for r in results) == {
        "ok": 2,
        "id_card_on_too_many_accounts": THREADS - 2,
    }
    assert PatientProfile.objects.filter(is_active=True).count() == 3


@pytest.fixture
def no_cache_guard(settings):
    """The cache's send guard gone (a dummy cache: every add succeeds), as when Redis is
    down: the database's rules alone decide."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }


def test_concurrent_first_sends_to_one_phone_text_once_without_the_cache(
    sms_server, no_cache_guard
):
    # given: no code was ever sent to this phone, so there is no row to lock
    assert not SmsCode.objects.exists()

    results = run_at_once(
        [
            lambda: sms_code_send(actor=Actor(ip="10.0.0.1"), phone="13800138000")
            for _ in range(THREADS)
        ]
    )

    assert Counter(outcome(r) for r in results) == {
        "ok": 1,
        "sms_too_frequent": THREADS - 1,
    }
    assert len(sms_server.received) == 1


def test_concurrent_sends_from_one_ip_never_pass_its_daily_cap(sms_server, settings):
    settings.SMS_DAILY_LIMIT_PER_IP = 3
    phones = [f"1380013{n:04d}" for n in range(THREADS)]

    results = run_at_once(
        [
            lambda phone=phone: sms_code_send(actor=Actor(ip="10.0.0.9"), phone=phone)
            for phone in phones
        ]
    )

    assert Counter(outcome(r) for r in results) == {
        "ok": 3,
        "sms_daily_limit": THREADS - 3,
    }
    assert SmsCode.objects.filter(ip="10.0.0.9").count() == 3
