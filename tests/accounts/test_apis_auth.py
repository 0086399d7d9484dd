import datetime

import pytest
import time_machine
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from accounts.models import SmsCode, User
from accounts.services.tokens import user_tokens_issue
from common.models import OperationLog
from tests.accounts.factories import PatientFactory, default_levels

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def _auth(api_client, access: str) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")


# -- WeChat login ------------------------------------------------------------------------


def test_wechat_login_returns_tokens_and_the_user_but_never_the_session_key(
    api_client, wechat_server
):
    # given
    wechat_server.add_login_code("c1", openid="o-1", session_key="secret-sk-1")

    # when
    response = api_client.post(
        reverse("api:accounts:login-wechat"), {"code": "c1"}, format="json"
    )

    # then
    assert response.status_code == 200
    body = response.json()
    user = User.objects.get()
    assert set(body) == {"access", "refresh", "is_new_user", "user"}
    assert body["is_new_user"] is True
    assert body["user"] == {
        "id": user.pk,
        "phone": None,
        "nickname": "",
        "role": "patient",
        "member_level": "normal",
        "points": 0,
    }
    assert "secret-sk-1" not in response.content.decode()
    assert "session_key" not in response.content.decode()
    # the access token works
    _auth(api_client, body["access"])
    assert api_client.get(reverse("api:accounts:me")).json()["id"] == user.pk


def test_wechat_login_with_an_invalid_code_answers_400(api_client, wechat_server):
    wechat_server.fail_code("bad", errcode=40029)

    response = api_client.post(
        reverse("api:accounts:login-wechat"), {"code": "bad"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_wechat_code",
            "message": "The WeChat login code is invalid or has expired, please log in again.",
            "fields": {},
        }
    }
    assert User.objects.exists() is False


def test_wechat_login_when_wechat_is_down_answers_503(api_client, settings):
    settings.WECHAT_API_BASE_URL = "http://127.0.0.1:9/"  # discard port: refused

    response = api_client.post(
        reverse("api:accounts:login-wechat"), {"code": "c1"}, format="json"
    )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "wechat_unavailable"
    assert User.objects.exists() is False


def test_wechat_rate_limit_answers_429(api_client, wechat_server):
    wechat_server.fail_code("c1", errcode=45011)

    response = api_client.post(
        reverse("api:accounts:login-wechat"), {"code": "c1"}, format="json"
    )

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "wechat_rate_limited"


def test_wechat_login_ignores_a_stale_authorization_header(api_client, wechat_server):
    wechat_server.add_login_code("c1", openid="o-1", session_key="sk")
    _auth(api_client, "not-a-token")

    response = api_client.post(
        reverse("api:accounts:login-wechat"), {"code": "c1"}, format="json"
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "code"),
        ({"code": ""}, "code"),
        ({"code": ["c1"]}, "code"),
        ({"code": "x" * 129}, "code"),
    ],
)
def test_wechat_login_rejects_bad_input(api_client, wechat_server, payload, field):
    response = api_client.post(
        reverse("api:accounts:login-wechat"), payload, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "invalid"
    assert list(body["error"]["fields"]) == [field]
    assert wechat_server.requests == []
    assert User.objects.exists() is False


def test_malformed_json_answers_400_and_changes_nothing(api_client, wechat_server):
    response = api_client.post(
        reverse("api:accounts:login-wechat"),
        data='{"code": ',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"
    assert wechat_server.requests == []
    assert User.objects.exists() is False


# -- SMS ---------------------------------------------------------------------------------


def test_sms_send_then_login(api_client, sms_server):
    # given
    response = api_client.post(
        reverse("api:accounts:sms-send"), {"phone": PHONE}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"expires_in": 300, "resend_after": 60}
    code = sms_server.last_code(PHONE)

    # when
    response = api_client.post(
        reverse("api:accounts:login-sms"), {"phone": PHONE, "code": code}, format="json"
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["is_new_user"] is True
    assert body["user"]["phone"] == "138****8000"
    assert code not in response.content.decode()
    assert sms_server.headers[0]["Authorization"] == "Bearer test-sms-token"
    assert sms_server.received[0]["params"] == {"code": code, "minutes": 5}


def test_sms_send_too_soon_answers_429(api_client, sms_server):
    api_client.post(reverse("api:accounts:sms-send"), {"phone": PHONE}, format="json")

    response = api_client.post(
        reverse("api:accounts:sms-send"), {"phone": PHONE}, format="json"
    )

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "sms_too_frequent"
    assert SmsCode.objects.count() == 1


def test_sms_daily_cap_per_ip_counts_the_client_address(
    api_client, sms_server, settings
):
    settings.SMS_DAILY_LIMIT_PER_IP = 1
    url = reverse("api:accounts:sms-send")
    api_client.post(
        url, {"phone": "13800000001"}, format="json", REMOTE_ADDR="10.1.1.1"
    )

    refused = api_client.post(
        url, {"phone": "13800000002"}, format="json", REMOTE_ADDR="10.1.1.1"
    )
    allowed = api_client.post(
        url, {"phone": "13800000003"}, format="json", REMOTE_ADDR="10.1.1.2"
    )

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "sms_daily_limit"
    assert allowed.status_code == 200
    assert sorted(code.phone for code in SmsCode.objects.all()) == [
        "13800000001",
        "13800000003",
    ]


@pytest.mark.parametrize(
    "payload",
    [{}, {"phone": "12345"}, {"phone": 13800138000.5}, {"phone": "1" * 21}],
)
def test_sms_send_rejects_bad_phones(api_client, sms_server, payload):
    response = api_client.post(reverse("api:accounts:sms-send"), payload, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["phone"]
    assert SmsCode.objects.exists() is False


def test_sms_login_with_a_wrong_code_answers_400(api_client, sms_server):
    api_client.post(reverse("api:accounts:sms-send"), {"phone": PHONE}, format="json")
    code = sms_server.last_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = api_client.post(
        reverse("api:accounts:login-sms"),
        {"phone": PHONE, "code": wrong},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "sms_code_invalid",
            "message": "The code is not correct.",
            "fields": {},
        }
    }
    assert User.objects.exists() is False
    assert SmsCode.objects.get().wrong_tries == 1


@pytest.mark.parametrize("code", ["12345", ["123456"], True, "abcdef", None])
def test_sms_login_rejects_a_malformed_code(api_client, sms_server, code):
    response = api_client.post(
        reverse("api:accounts:login-sms"), {"phone": PHONE, "code": code}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["code"]


# -- tokens ------------------------------------------------------------------------------


def test_refresh_rotates_and_the_old_refresh_token_is_then_refused(api_client):
    # given
    user = PatientFactory()
    tokens = user_tokens_issue(user=user)
    url = reverse("api:accounts:token-refresh")

    # when
    first = api_client.post(url, {"refresh": tokens["refresh"]}, format="json")
    again = api_client.post(url, {"refresh": tokens["refresh"]}, format="json")

    # then
    assert first.status_code == 200
    new = first.json()
    assert set(new) == {"access", "refresh"}
    assert new["refresh"] != tokens["refresh"]
    assert again.status_code == 401
    assert again.json() == {
        "error": {
            "code": "token_not_valid",
            "message": "The token is invalid or has expired.",
            "fields": {},
        }
    }
    # the rotated token works
    assert (
        api_client.post(url, {"refresh": new["refresh"]}, format="json").status_code
        == 200
    )
    assert BlacklistedToken.objects.count() == 2


def test_refresh_with_an_expired_token_answers_401(api_client, settings):
    user = PatientFactory()
    issued_at = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    with time_machine.travel(issued_at, tick=False):
        tokens = user_tokens_issue(user=user)

    with time_machine.travel(issued_at + datetime.timedelta(days=15), tick=False):
        response = api_client.post(
            reverse("api:accounts:token-refresh"),
            {"refresh": tokens["refresh"]},
            format="json",
        )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
    assert BlacklistedToken.objects.exists() is False


@pytest.mark.parametrize("refresh", ["garbage", "a.b.c"])
def test_refresh_with_garbage_answers_401(api_client, refresh):
    response = api_client.post(
        reverse("api:accounts:token-refresh"), {"refresh": refresh}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_an_access_token_cannot_be_used_as_a_refresh_token(api_client):
    tokens = user_tokens_issue(user=PatientFactory())

    response = api_client.post(
        reverse("api:accounts:token-refresh"),
        {"refresh": tokens["access"]},
        format="json",
    )

    assert response.status_code == 401
    assert OutstandingToken.objects.count() == 1


def test_refresh_for_a_disabled_user_answers_401(api_client):
    user = PatientFactory()
    tokens = user_tokens_issue(user=user)
    user.is_active = False
    user.save()

    response = api_client.post(
        reverse("api:accounts:token-refresh"),
        {"refresh": tokens["refresh"]},
        format="json",
    )

    assert response.status_code == 401
    assert BlacklistedToken.objects.exists() is False


def test_refresh_without_a_token_is_invalid_input(api_client):
    response = api_client.post(reverse("api:accounts:token-refresh"), {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["refresh"]


def test_logout_blacklists_the_refresh_token_and_logs_once(api_client):
    # given
    user = PatientFactory()
    tokens = user_tokens_issue(user=user)
    _auth(api_client, tokens["access"])

    # when
    response = api_client.post(
        reverse("api:accounts:logout"), {"refresh": tokens["refresh"]}, format="json"
    )

    # then
    assert response.status_code == 204
    refresh = api_client.post(
        reverse("api:accounts:token-refresh"),
        {"refresh": tokens["refresh"]},
        format="json",
    )
    assert refresh.status_code == 401
    [log] = OperationLog.objects.all()
    assert (log.action, log.actor, log.object_id) == ("user_logout", user, str(user.pk))
    # the session's access token is refused too (tests/accounts/test_logout_denylist.py)
    assert api_client.get(reverse("api:accounts:me")).status_code == 401


def test_logout_with_someone_elses_refresh_token_is_refused(api_client):
    mine = user_tokens_issue(user=PatientFactory())
    theirs = user_tokens_issue(user=PatientFactory())
    _auth(api_client, mine["access"])

    response = api_client.post(
        reverse("api:accounts:logout"), {"refresh": theirs["refresh"]}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
    assert BlacklistedToken.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_logout_without_an_access_token_answers_401(api_client):
    tokens = user_tokens_issue(user=PatientFactory())

    response = api_client.post(
        reverse("api:accounts:logout"), {"refresh": tokens["refresh"]}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert BlacklistedToken.objects.exists() is False


# -- me ----------------------------------------------------------------------------------


def test_me_shows_the_current_user_with_the_phone_masked(api_client):
    user = PatientFactory(
        phone=PHONE,
        nickname="小王",
        member_level=default_levels()["gold"],
        points=120,
    )
    _auth(api_client, user_tokens_issue(user=user)["access"])

    response = api_client.get(reverse("api:accounts:me"))

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "phone": "138****8000",
        "nickname": "小王",
        "role": "patient",
        "member_level": "gold",
        "points": 120,
    }


def test_me_without_a_token_answers_401_in_the_error_shape(api_client):
    response = api_client.get(reverse("api:accounts:me"))

    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "not_authenticated"
    assert body["error"]["fields"] == {}
    assert isinstance(body["error"]["message"], str)


def test_me_with_an_expired_access_token_answers_401(api_client):
    user = PatientFactory()
    issued_at = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    with time_machine.travel(issued_at, tick=False):
        access = user_tokens_issue(user=user)["access"]
    _auth(api_client, access)

    with time_machine.travel(issued_at + datetime.timedelta(minutes=16), tick=False):
        response = api_client.get(reverse("api:accounts:me"))

    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "token_not_valid"
    assert body["error"]["fields"] == {}
