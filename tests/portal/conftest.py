import pytest
from django.test import Client

# Alipay and WeChat Pay against their fake servers, as billing's tests set them up.
from tests.billing.conftest import (  # noqa: F401
    alipay,
    alipay_key_files,
    alipay_keys,
    alipay_server,
    wechatpay,
    wechatpay_key_files,
    wechatpay_keys,
    wechatpay_server,
)
from tests.fakes.sms_server import FakeSmsServer


@pytest.fixture
def sms_server(settings):
    """Texts go through the real "http" backend to a local fake provider."""
    server = FakeSmsServer().start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = server.url
    settings.SMS_HTTP_TOKEN = server.token
    yield server
    server.stop()


@pytest.fixture
def dev_gateway(settings):
    settings.PAYMENTS_DEV_GATEWAY = True


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
