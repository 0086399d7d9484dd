import datetime
import logging
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts import wechat
from accounts.models import SmsCode, User
from accounts.selectors import SESSION_KEY_CONTEXT
from accounts.sensitive import phone_lookup_hash
from accounts.services.login import (
    AccountDisabled,
    NotAPatientAccount,
    sms_code_send,
    user_login_with_sms,
    user_login_with_wechat,
)
from common.crypto import decrypt
from common.errors import DomainError, Throttled
from common.models import OperationLog
from common.services import Actor
from tests.accounts.factories import HospitalFactory, PatientFactory, StaffFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor(ip="10.0.0.1")
PHONE = "13800138000"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)  # 17:00 in Shanghai
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


# -- WeChat ------------------------------------------------------------------------------


def test_first_wechat_login_creates_a_patient_with_the_session_key_encrypted(
    wechat_server,
):
    # given
    wechat_server.add_login_code("c1", openid="o-1", session_key="sk-1", unionid="u-1")

    # when
    user, created = user_login_with_wechat(actor=ACTOR, code="c1")

    # then
    assert created is True
    user.refresh_from_db()
    assert user.role == User.Role.PATIENT
    assert user.wechat_openid == "o-1"
    assert user.wechat_unionid == "u-1"
    assert user.username.startswith("wx_")
    assert "o-1" not in user.username
    assert user.has_usable_password() is False
    assert "sk-1" not in user.wechat_session_key
    assert decrypt(user.wechat_session_key, context=SESSION_KEY_CONTEXT) == "sk-1"
    [log] = OperationLog.objects.all()
    assert (log.action, log.actor, log.object_id, log.ip) == (
        "user_create_by_wechat_login",
        user,
        str(user.pk),
        "10.0.0.1",
    )


def test_second_wechat_login_finds_the_same_user_and_renews_the_session_key(
    wechat_server,
):
    wechat_server.add_login_code("c1", openid="o-1", session_key="sk-1")
    wechat_server.add_login_code("c2", openid="o-1", session_key="sk-2", unionid="u-1")
    first, _ = user_login_with_wechat(actor=ACTOR, code="c1")

    second, created = user_login_with_wechat(actor=ACTOR, code="c2")

    assert created is False
    assert second.pk == first.pk
    second.refresh_from_db()
    assert decrypt(second.wechat_session_key, context=SESSION_KEY_CONTEXT) == "sk-2"
    assert second.wechat_unionid == "u-1"  # learnt on the later login
    assert User.objects.count() == 1
    assert OperationLog.objects.count() == 1  # only the creation


def test_a_unionid_held_by_another_account_is_not_copied(wechat_server):
    PatientFactory(wechat_openid="o-other", wechat_unionid="u-1")
    wechat_server.add_login_code("c1", openid="o-1", session_key="sk", unionid="u-1")

    user, created = user_login_with_wechat(actor=ACTOR, code="c1")

    assert created is True
    user.refresh_from_db()
    assert user.wechat_unionid is None


def test_an_invalid_wechat_code_creates_nothing(wechat_server):
    wechat_server.fail_code("bad", errcode=40029)

    with pytest.raises(wechat.WeChatCodeInvalid):
        user_login_with_wechat(actor=ACTOR, code="bad")

    assert User.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_a_disabled_patient_cannot_log_in_with_wechat(wechat_server):
    user = PatientFactory(wechat_openid="o-1", is_active=False)
    wechat_server.add_login_code("c1", openid="o-1", session_key="sk-new")

    with pytest.raises(AccountDisabled) as excinfo:
        user_login_with_wechat(actor=ACTOR, code="c1")

    assert excinfo.value.code == "account_disabled"
    user.refresh_from_db()
    assert user.wechat_session_key == ""  # nothing stored


def test_staff_cannot_get_tokens_through_wechat_login(wechat_server):
    StaffFactory(wechat_openid="o-1", hospital=HospitalFactory())
    wechat_server.add_login_code("c1", openid="o-1", session_key="sk")

    with pytest.raises(NotAPatientAccount) as excinfo:
        user_login_with_wechat(actor=ACTOR, code="c1")

    assert excinfo.value.code == "not_patient_account"


# -- SMS: sending ------------------------------------------------------------------------


def test_sending_stores_only_a_hash_of_a_six_digit_code(sms_server):
    # when
    with time_machine.travel(START, tick=False):
        sms_code = sms_code_send(actor=ACTOR, phone=PHONE)

    # then
    [code] = sms_server.codes_sent_to(PHONE)
    assert len(code) == 6
    assert code.isdigit()
    sms_code.refresh_from_db()
    assert code not in sms_code.code_hash
    assert sms_code.phone == PHONE
    assert sms_code.ip == "10.0.0.1"
    assert sms_code.created_at == START
    assert sms_code.expires_at == START + datetime.timedelta(minutes=5)
    assert (sms_code.wrong_tries, sms_code.used_at) == (0, None)


def test_the_console_backend_logs_the_code_with_the_phone_masked(caplog, settings):
    settings.SMS_BACKEND = "console"

    with caplog.at_level(logging.INFO, logger="accounts.sms"):
        sms_code_send(actor=ACTOR, phone=PHONE)

    [record] = caplog.records
    assert "138****8000" in record.getMessage()
    assert PHONE not in record.getMessage()
    assert SmsCode.objects.count() == 1


@pytest.mark.parametrize("phone", ["12800138000", "1380013800", "138001380000", "abc"])
def test_sending_to_an_invalid_phone_is_refused(sms_server, phone):
    with pytest.raises(ValidationError) as excinfo:
        sms_code_send(actor=ACTOR, phone=phone)

    assert list(excinfo.value.message_dict) == ["phone"]
    assert SmsCode.objects.exists() is False
    assert sms_server.received == []


def test_a_second_send_within_a_minute_is_refused(sms_server):
    with time_machine.travel(START, tick=False) as traveller:
        sms_code_send(actor=ACTOR, phone=PHONE)
        traveller.shift(59)

        with pytest.raises(Throttled) as excinfo:
            sms_code_send(actor=ACTOR, phone=PHONE)

    assert excinfo.value.code == "sms_too_frequent"
    assert excinfo.value.status_code == 429
    assert SmsCode.objects.count() == 1
    assert len(sms_server.received) == 1


def test_the_interval_holds_even_when_the_cache_was_cleared(sms_server):
    from django.core.cache import cache

    with time_machine.travel(START, tick=False) as traveller:
        sms_code_send(actor=ACTOR, phone=PHONE)
        cache.clear()
        traveller.shift(30)

        with pytest.raises(Throttled) as excinfo:
            sms_code_send(actor=ACTOR, phone=PHONE)

    assert excinfo.value.code == "sms_too_frequent"
    assert SmsCode.objects.count() == 1


def test_a_send_after_the_interval_is_accepted(sms_server):
    with time_machine.travel(START, tick=False) as traveller:
        sms_code_send(actor=ACTOR, phone=PHONE)
        traveller.shift(60)

        sms_code_send(actor=ACTOR, phone=PHONE)

    assert SmsCode.objects.count() == 2
    assert len(sms_server.codes_sent_to(PHONE)) == 2


def test_the_daily_cap_per_phone(sms_server, settings):
    # given: the day's allowance used up, a minute apart
    settings.SMS_DAILY_LIMIT_PER_PHONE = 3
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(3):
            sms_code_send(actor=ACTOR, phone=PHONE)
            traveller.shift(61)

        # when
        with pytest.raises(Throttled) as excinfo:
            sms_code_send(actor=ACTOR, phone=PHONE)

        # then
        assert excinfo.value.code == "sms_daily_limit"
        assert SmsCode.objects.count() == 3

        # another phone from another network is not affected
        sms_code_send(actor=Actor(ip="10.9.9.9"), phone="13900139000")

    # the next local day the phone may receive codes again (Asia/Shanghai midnight)
    next_day = datetime.datetime(2026, 3, 3, 0, 0, 1, tzinfo=SHANGHAI)
    with time_machine.travel(next_day, tick=False):
        sms_code_send(actor=ACTOR, phone=PHONE)
    assert SmsCode.objects.filter(phone_hash=phone_lookup_hash(PHONE)).count() == 4


def test_the_daily_cap_per_ip(sms_server, settings):
    settings.SMS_DAILY_LIMIT_PER_IP = 2
    with time_machine.travel(START, tick=False):
        sms_code_send(actor=ACTOR, phone="13800000001")
        sms_code_send(actor=ACTOR, phone="13800000002")

        with pytest.raises(Throttled) as excinfo:
            sms_code_send(actor=ACTOR, phone="13800000003")

        sms_code_send(actor=Actor(ip="10.0.0.2"), phone="13800000004")

    assert excinfo.value.code == "sms_daily_limit"
    assert (
        SmsCode.objects.filter(phone_hash=phone_lookup_hash("13800000003")).exists()
        is False
    )
    assert SmsCode.objects.count() == 3


def test_a_failing_provider_leaves_no_code_and_allows_a_retry(sms_server):
    from accounts.sms import SmsUnavailable

    sms_server.answer = (500, b'{"code": "InternalError"}')
    with pytest.raises(SmsUnavailable) as excinfo:
        sms_code_send(actor=ACTOR, phone=PHONE)
    assert excinfo.value.code == "sms_unavailable"
    assert SmsCode.objects.exists() is False

    sms_server.answer = (200, b'{"code": "OK"}')
    sms_code_send(actor=ACTOR, phone=PHONE)  # no "too frequent" after a failure

    assert SmsCode.objects.count() == 1


# -- SMS: logging in ---------------------------------------------------------------------


def _send(sms_server, phone: str = PHONE) -> str:
    sms_code_send(actor=ACTOR, phone=phone)
    return sms_server.last_code(phone)


def test_the_right_code_creates_a_patient_for_the_phone(sms_server):
    code = _send(sms_server)

    user, created = user_login_with_sms(actor=ACTOR, phone=PHONE, code=code)

    assert created is True
    user.refresh_from_db()
    assert user.phone == PHONE
    assert user.role == User.Role.PATIENT
    assert user.username.startswith("p_")
    assert PHONE not in user.username
    assert user.has_usable_password() is False
    assert SmsCode.objects.get().used_at is not None
    [log] = OperationLog.objects.all()
    assert (log.action, log.actor) == ("user_create_by_sms_login", user)


def test_the_right_code_finds_an_existing_user(sms_server):
    existing = PatientFactory(phone=PHONE)
    code = _send(sms_server)

    user, created = user_login_with_sms(actor=ACTOR, phone=PHONE, code=code)

    assert (user.pk, created) == (existing.pk, False)
    assert OperationLog.objects.exists() is False


def test_a_used_code_cannot_be_reused(sms_server):
    code = _send(sms_server)
    user_login_with_sms(actor=ACTOR, phone=PHONE, code=code)

    with pytest.raises(DomainError) as excinfo:
        user_login_with_sms(actor=ACTOR, phone=PHONE, code=code)

    assert excinfo.value.code == "sms_code_invalid"
    assert User.objects.count() == 1


def test_an_expired_code_is_refused(sms_server):
    with time_machine.travel(START, tick=False) as traveller:
        code = _send(sms_server)
        traveller.shift(300)

        with pytest.raises(DomainError) as excinfo:
            user_login_with_sms(actor=ACTOR, phone=PHONE, code=code)

    assert excinfo.value.code == "sms_code_expired"
    assert User.objects.exists() is False
    assert SmsCode.objects.get().used_at is None


def test_a_code_just_before_expiry_works(sms_server):
    with time_machine.travel(START, tick=False) as traveller:
        code = _send(sms_server)
        traveller.shift(299)

        user, created = user_login_with_sms(actor=ACTOR, phone=PHONE, code=code)

    assert created is True


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_wrong_code_counts_a_try_and_changes_nothing_else(sms_server):
    code = _send(sms_server)

    with pytest.raises(DomainError) as excinfo:
        user_login_with_sms(actor=ACTOR, phone=PHONE, code=_wrong(code))

    assert excinfo.value.code == "sms_code_invalid"
    sms_code = SmsCode.objects.get()
    assert (sms_code.wrong_tries, sms_code.used_at) == (1, None)
    assert User.objects.exists() is False


def test_after_five_wrong_tries_even_the_right_code_is_dead(sms_server):
    # given
    code = _send(sms_server)
    for _ in range(5):
        with pytest.raises(DomainError):
            user_login_with_sms(actor=ACTOR, phone=PHONE, code=_wrong(code))

    # when
    with pytest.raises(DomainError) as excinfo:
        user_login_with_sms(actor=ACTOR, phone=PHONE, code=code)

    # then
    assert excinfo.value.code == "sms_code_exhausted"
    assert SmsCode.objects.get().wrong_tries == 5
    assert User.objects.exists() is False


def test_four_wrong_tries_still_allow_the_right_code(sms_server):
    code = _send(sms_server)
    for _ in range(4):
        with pytest.raises(DomainError):
            user_login_with_sms(actor=ACTOR, phone=PHONE, code=_wrong(code))

    user, created = user_login_with_sms(actor=ACTOR, phone=PHONE, code=code)

    assert created is True


def test_only_the_latest_code_counts(sms_server):
    with time_machine.travel(START, tick=False) as traveller:
        old = _send(sms_server)
        traveller.shift(61)
        new = _send(sms_server)
        if old == new:  # one in a million: the old code is then also the new one
            pytest.skip("codes collided")

        with pytest.raises(DomainError) as excinfo:
            user_login_with_sms(actor=ACTOR, phone=PHONE, code=old)
        user, created = user_login_with_sms(actor=ACTOR, phone=PHONE, code=new)

    assert excinfo.value.code == "sms_code_invalid"
    assert created is True


def test_a_code_for_another_phone_does_not_work(sms_server):
    code = _send(sms_server, "13900139000")

    with pytest.raises(DomainError) as excinfo:
        user_login_with_sms(actor=ACTOR, phone=PHONE, code=code)

    assert excinfo.value.code == "sms_code_invalid"
    assert User.objects.exists() is False


@pytest.mark.parametrize("code", ["12345", "1234567", "12345a", "１２３４５６"])
def test_a_malformed_code_is_invalid_input_and_counts_no_try(sms_server, code):
    _send(sms_server)

    with pytest.raises(ValidationError) as excinfo:
        user_login_with_sms(actor=ACTOR, phone=PHONE, code=code)

    assert list(excinfo.value.message_dict) == ["code"]
    assert SmsCode.objects.get().wrong_tries == 0


def test_a_disabled_account_cannot_log_in_by_sms(sms_server):
    PatientFactory(phone=PHONE, is_active=False)
    code = _send(sms_server)

    with pytest.raises(AccountDisabled):
        user_login_with_sms(actor=ACTOR, phone=PHONE, code=code)
