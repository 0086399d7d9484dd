import pytest

from tests.fakes.sms_server import FakeSmsServer
from tests.fakes.wechat_server import FakeWeChatServer


@pytest.fixture
def wechat_server(settings):
    server = FakeWeChatServer(app_id="wx-test-app", app_secret="test-app-secret")
    server.start()
    settings.WECHAT_API_BASE_URL = server.base_url
    settings.WECHAT_APP_ID = server.app_id
    settings.WECHAT_APP_SECRET = server.app_secret
    settings.WECHAT_TIMEOUT_SECONDS = 2
    yield server
    server.stop()


@pytest.fixture
def sms_server(settings):
    """Texts go through the real "http" backend to a local fake provider."""
    server = FakeSmsServer().start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = server.url
    settings.SMS_HTTP_TOKEN = server.token
    yield server
    server.stop()
