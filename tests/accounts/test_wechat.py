import socket
import time

import pytest

from accounts import wechat


def test_code_to_session_returns_the_openid_unionid_and_session_key(wechat_server):
    # given
    wechat_server.add_login_code(
        "code-1", openid="o-1", session_key="sk-1", unionid="u-1"
    )

    # when
    session = wechat.code_to_session("code-1")

    # then
    assert session == wechat.WeChatSession(
        openid="o-1", session_key="sk-1", unionid="u-1"
    )
    [request] = wechat_server.requests
    assert request.path == "/sns/jscode2session"
    assert request.query == {
        "appid": "wx-test-app",
        "secret": "test-app-secret",
        "js_code": "code-1",
        "grant_type": "authorization_code",
    }


def test_code_to_session_without_unionid_gives_none(wechat_server):
    wechat_server.add_login_code("code-1", openid="o-1", session_key="sk-1")

    session = wechat.code_to_session("code-1")

    assert session.unionid is None


def test_session_repr_hides_the_session_key():
    session = wechat.WeChatSession(openid="o-1", session_key="secret-sk", unionid=None)

    assert "secret-sk" not in repr(session)


@pytest.mark.parametrize("errcode", [40029, 40163])
def test_an_invalid_or_used_code_raises_invalid_wechat_code(wechat_server, errcode):
    wechat_server.fail_code("bad", errcode=errcode)

    with pytest.raises(wechat.WeChatCodeInvalid) as excinfo:
        wechat.code_to_session("bad")

    assert excinfo.value.code == "invalid_wechat_code"
    assert excinfo.value.status_code == 400


def test_a_code_is_accepted_only_once(wechat_server):
    wechat_server.add_login_code("code-1", openid="o-1", session_key="sk-1")
    wechat.code_to_session("code-1")

    with pytest.raises(wechat.WeChatCodeInvalid):
        wechat.code_to_session("code-1")


def test_rate_limit_raises_wechat_rate_limited(wechat_server):
    wechat_server.fail_code(
        "busy", errcode=45011, errmsg="api minute-quota reach limit"
    )

    with pytest.raises(wechat.WeChatRateLimited) as excinfo:
        wechat.code_to_session("busy")

    assert excinfo.value.code == "wechat_rate_limited"
    assert excinfo.value.status_code == 429
    # Tasks retry on WeChatUnavailable; a rate limit is worth retrying too.
    assert isinstance(excinfo.value, wechat.WeChatUnavailable)


def test_risky_user_is_refused(wechat_server):
    wechat_server.fail_code("risky", errcode=40226)

    with pytest.raises(wechat.WeChatLoginRefused) as excinfo:
        wechat.code_to_session("risky")

    assert excinfo.value.code == "wechat_login_refused"
    assert excinfo.value.status_code == 403


@pytest.mark.parametrize("errcode", [-1, 40125, 40013])
def test_other_wechat_errors_raise_wechat_unavailable(wechat_server, errcode):
    wechat_server.fail_code("x", errcode=errcode)

    with pytest.raises(wechat.WeChatUnavailable) as excinfo:
        wechat.code_to_session("x")

    assert excinfo.value.code == "wechat_unavailable"
    assert excinfo.value.status_code == 503


def test_wrong_app_secret_is_reported_as_unavailable(wechat_server, settings):
    wechat_server.add_login_code("code-1", openid="o-1", session_key="sk-1")
    settings.WECHAT_APP_SECRET = "wrong-secret"

    with pytest.raises(wechat.WeChatUnavailable):
        wechat.code_to_session("code-1")


def test_http_500_raises_wechat_unavailable(wechat_server):
    wechat_server.answer_code_raw("x", status=500, payload={"oops": True})

    with pytest.raises(wechat.WeChatUnavailable):
        wechat.code_to_session("x")


@pytest.mark.parametrize(
    "payload",
    [
        {"session_key": "sk"},
        {"openid": "", "session_key": "sk"},
        {"openid": "o-1"},
        {"openid": 5, "session_key": "sk"},
        {"openid": "o" * 65, "session_key": "sk"},
    ],
)
def test_an_incomplete_answer_raises_wechat_unavailable(wechat_server, payload):
    wechat_server.answer_code_raw("x", status=200, payload=payload)

    with pytest.raises(wechat.WeChatUnavailable):
        wechat.code_to_session("x")


def test_a_non_json_answer_raises_wechat_unavailable(wechat_server):
    wechat_server.add_route(
        "GET", "/sns/jscode2session", lambda server, query, body: (200, b"<html>")
    )

    with pytest.raises(wechat.WeChatUnavailable):
        wechat.code_to_session("x")


def test_network_failure_raises_wechat_unavailable(settings):
    # given: a port on which nothing listens
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.WECHAT_API_BASE_URL = f"http://127.0.0.1:{port}/"

    with pytest.raises(wechat.WeChatUnavailable) as excinfo:
        wechat.code_to_session("code-1")

    assert excinfo.value.code == "wechat_unavailable"


def test_a_slow_server_times_out_as_unavailable(wechat_server, settings):
    def slow(server, query, body):
        time.sleep(2)
        return 200, {"openid": "o-1", "session_key": "sk"}

    wechat_server.add_route("GET", "/sns/jscode2session", slow)
    settings.WECHAT_TIMEOUT_SECONDS = 1

    with pytest.raises(wechat.WeChatUnavailable):
        wechat.code_to_session("code-1")


def test_code_to_session_does_not_fetch_an_access_token(wechat_server):
    wechat_server.add_login_code("code-1", openid="o-1", session_key="sk-1")

    wechat.code_to_session("code-1")

    assert wechat_server.requests_to("/cgi-bin/token") == []
    assert "access_token" not in wechat_server.requests[0].query


@pytest.mark.django_db
def test_the_client_fetches_access_tokens_from_the_configured_server(wechat_server):
    # given
    client = wechat.get_client()

    # when
    token = client.access_token

    # then: fetched once from the fake server and then served from the cache
    assert token in wechat_server.access_tokens
    assert wechat.get_client().access_token == token
    assert len(wechat_server.requests_to("/cgi-bin/token")) == 1


def test_every_sdk_endpoint_group_points_at_the_configured_server(settings):
    settings.WECHAT_API_BASE_URL = "http://127.0.0.1:9/"

    client = wechat.get_client()

    assert client.wxa.API_BASE_URL == "http://127.0.0.1:9/"
    assert client.datacube.API_BASE_URL == "http://127.0.0.1:9/datacube/"
    assert client.API_BASE_URL == "http://127.0.0.1:9/cgi-bin/"
