import copy
import socket

import pytest
from kombu import pools as kombu_pools

from config.celery import app as celery_app
from tests.fakes.sms_server import FakeSmsServer
from tests.fakes.wechat_server import FakeWeChatServer


@pytest.fixture
def wechat_server(settings):
    """The real wechatpy client talks to a local fake WeChat API."""
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


@pytest.fixture
def templates(settings):
    """Every event has a WeChat subscribe-message template, "tmpl-<event>"."""
    notifications = copy.deepcopy(settings.NOTIFICATIONS)
    for event, conf in notifications["EVENTS"].items():
        conf["template_id"] = f"tmpl-{event}"
    settings.NOTIFICATIONS = notifications
    return notifications


@pytest.fixture
def notify_settings(settings):
    """Change NOTIFICATIONS values for one test: notify_settings(MAX_ATTEMPTS=2)."""

    def change(**values):
        settings.NOTIFICATIONS = copy.deepcopy(settings.NOTIFICATIONS) | values

    return change


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reset_producer_pool() -> None:
    """Forget every pooled broker connection, so the next publish uses the current URL.

    kombu keeps producer pools in a process-wide registry keyed by broker URL; closing only
    the app's pool would leave a registry entry pointing at a closed pool for later tests.
    """
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()


@pytest.fixture
def broker_down():
    """Tasks are published (not run inline) to an amqp broker that cannot be reached."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager)
    conf.broker_url = f"amqp://guest:guest@127.0.0.1:{_closed_port()}//"
    conf.task_always_eager = False
    _reset_producer_pool()
    yield
    conf.broker_url, conf.task_always_eager = saved
    _reset_producer_pool()
