"""Subscribe messages through the real wechatpy client against the local fake WeChat API."""

import json
import socket

import pytest

from accounts import wechat

DATA = {"name1": "张三", "thing2": "李医生", "time3": "2026-03-11 09:30"}


def send(**kwargs):
    return wechat.send_subscribe_message(
        **{
            "openid": "o-1",
            "template_id": "tmpl-1",
            "data": DATA,
            "page": "pages/appointment/detail?id=7",
        }
        | kwargs
    )


def test_a_subscribe_message_reaches_wechat_with_a_fresh_access_token(wechat_server):
    # when
    msgid = send()

    # then
    assert msgid == "1001"
    assert wechat_server.subscribe_messages == [
        {
            "touser": "o-1",
            "template_id": "tmpl-1",
            "page": "pages/appointment/detail?id=7",
            "data": DATA,
        }
    ]
    [token_request] = wechat_server.requests_to("/cgi-bin/token")
    assert token_request.query["grant_type"] == "client_credential"
    [request] = wechat_server.requests_to("/cgi-bin/message/subscribe/send")
    assert request.method == "POST"
    assert request.query["access_token"] in wechat_server.access_tokens
    assert json.loads(request.body)["data"] == {
        key: {"value": value} for key, value in DATA.items()
    }


def test_the_access_token_is_fetched_once_for_several_messages(wechat_server):
    send()
    send(openid="o-2")

    assert len(wechat_server.requests_to("/cgi-bin/token")) == 1
    assert len(wechat_server.subscribe_messages) == 2


def test_without_a_page_none_is_sent(wechat_server):
    send(page="")

    [request] = wechat_server.requests_to("/cgi-bin/message/subscribe/send")
    assert "page" not in json.loads(request.body)


def test_an_expired_token_is_renewed_and_the_message_sent_once(wechat_server):
    send()
    wechat_server.expire_access_tokens()

    send(openid="o-2")

    assert len(wechat_server.requests_to("/cgi-bin/token")) == 2
    assert [m["touser"] for m in wechat_server.subscribe_messages] == ["o-1", "o-2"]


def test_a_user_without_subscription_raises_not_subscribed(wechat_server):
    wechat_server.fail_subscribe(43101, openid="o-1")

    with pytest.raises(wechat.WeChatNotSubscribed) as excinfo:
        send()

    assert excinfo.value.code == "wechat_not_subscribed"
    assert excinfo.value.errcode == 43101
    # the delivery falls back to SMS on any message WeChat rejects
    assert isinstance(excinfo.value, wechat.WeChatMessageRejected)
    assert wechat_server.subscribe_messages == []


@pytest.mark.parametrize("errcode", [40003, 40037, 41030, 47003])
def test_a_message_wechat_will_never_deliver_raises_rejected(wechat_server, errcode):
    wechat_server.fail_subscribe(errcode)

    with pytest.raises(wechat.WeChatMessageRejected) as excinfo:
        send()

    assert type(excinfo.value) is wechat.WeChatMessageRejected
    assert excinfo.value.code == "wechat_message_rejected"
    assert excinfo.value.errcode == errcode


def test_malformed_data_is_rejected_by_wechat(wechat_server):
    with pytest.raises(wechat.WeChatMessageRejected) as excinfo:
        send(template_id="")

    assert excinfo.value.errcode == 47003


@pytest.mark.parametrize("errcode", [-1, 45009, 99999])
def test_busy_limited_or_unknown_answers_raise_unavailable(wechat_server, errcode):
    wechat_server.fail_subscribe(errcode)

    with pytest.raises(wechat.WeChatUnavailable) as excinfo:
        send()

    assert excinfo.value.code == "wechat_unavailable"


def test_a_wrong_app_secret_raises_unavailable(wechat_server, settings):
    settings.WECHAT_APP_SECRET = "wrong"

    with pytest.raises(wechat.WeChatUnavailable):
        send()

    assert wechat_server.subscribe_calls == 0


def test_an_unreachable_wechat_raises_unavailable(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.WECHAT_API_BASE_URL = f"http://127.0.0.1:{port}/"

    with pytest.raises(wechat.WeChatUnavailable):
        send()
