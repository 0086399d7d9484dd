"""Notification texts through the SMS backends."""

import logging

import pytest

from accounts import sms

TEXT = "就诊提醒: 张三, 您预约的李医生门诊时间为 2026-03-11 09:30"


def test_the_http_backend_posts_the_text_with_the_notification_template(sms_server):
    sms.send_notification(phone="13800138000", text=TEXT)

    assert sms_server.received == [
        {
            "phone": "13800138000",
            "sign_name": "预约挂号",
            "template": "notification",
            "params": {"text": TEXT},
        }
    ]
    assert sms_server.headers[0]["Authorization"] == "Bearer test-sms-token"


@pytest.mark.parametrize(
    "answer",
    [
        (500, b'{"code": "OK"}'),
        (200, b'{"code": "isv.BUSINESS_LIMIT_CONTROL"}'),
        (200, b"not json"),
    ],
)
def test_a_refusing_provider_raises_sms_unavailable(sms_server, answer):
    sms_server.answer = answer

    with pytest.raises(sms.SmsUnavailable) as excinfo:
        sms.send_notification(phone="13800138000", text=TEXT)

    assert excinfo.value.code == "sms_unavailable"


def test_the_console_backend_logs_neither_text_nor_phone(settings, caplog):
    settings.SMS_BACKEND = "console"

    with caplog.at_level(logging.DEBUG, logger="accounts.sms"):
        sms.send_notification(phone="13800138000", text=TEXT)

    assert caplog.messages == [
        f"SMS notification to 138****8000 ({len(TEXT)} characters)"
    ]
    assert "张三" not in caplog.text
    assert "13800138000" not in caplog.text
