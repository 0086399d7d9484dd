"""Payment-channel fixtures: keys the tests generate, fake gateways, settings pointing at them."""

import pytest

from tests.fakes.alipay_server import AlipayKeys, FakeAlipayServer
from tests.fakes.keys import private_pem, public_pem
from tests.fakes.wechatpay_server import FakeWeChatPayServer, WeChatPayKeys

WECHATPAY_MCHID = "1900000109"
WECHATPAY_APPID = "wx-test-app"
ALIPAY_APP_ID = "2021000000000001"
ALIPAY_SELLER_ID = "2088000000000001"


@pytest.fixture(scope="session")
def wechatpay_keys() -> WeChatPayKeys:
    return WeChatPayKeys.generate()


@pytest.fixture(scope="session")
def wechatpay_key_files(wechatpay_keys, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("wechatpay")
    merchant = folder / "apiclient_key.pem"
    merchant.write_text(private_pem(wechatpay_keys.merchant_key))
    platform_public = folder / "pub_key.pem"
    platform_public.write_text(public_pem(wechatpay_keys.platform_key))
    cert_dir = folder / "certs"
    cert_dir.mkdir()
    (cert_dir / f"{wechatpay_keys.platform_cert_serial_hex}.pem").write_text(
        wechatpay_keys.platform_cert_pem
    )
    return {
        "private_key": str(merchant),
        "public_key": str(platform_public),
        "cert_dir": str(cert_dir),
    }


@pytest.fixture
def wechatpay_server(wechatpay_keys):
    server = FakeWeChatPayServer(
        keys=wechatpay_keys, mchid=WECHATPAY_MCHID, appid=WECHATPAY_APPID
    ).start()
    yield server
    server.stop()


@pytest.fixture
def wechatpay(settings, wechatpay_server, wechatpay_keys, wechatpay_key_files):
    """WeChat Pay enabled in public-key mode, talking to the fake server."""
    settings.WECHATPAY_MCHID = WECHATPAY_MCHID
    settings.WECHATPAY_APPID = WECHATPAY_APPID
    settings.WECHATPAY_CERT_SERIAL_NO = wechatpay_keys.merchant_serial
    settings.WECHATPAY_PRIVATE_KEY_PATH = wechatpay_key_files["private_key"]
    settings.WECHATPAY_APIV3_KEY = wechatpay_keys.apiv3_key
    settings.WECHATPAY_PLATFORM_CERT_DIR = ""
    settings.WECHATPAY_PUBLIC_KEY_PATH = wechatpay_key_files["public_key"]
    settings.WECHATPAY_PUBLIC_KEY_ID = wechatpay_keys.platform_public_key_id
    settings.WECHATPAY_NOTIFY_URL = (
        "https://pay.example.test/api/v1/billing/notify/wechat/"
    )
    settings.WECHATPAY_REFUND_NOTIFY_URL = (
        "https://pay.example.test/api/v1/billing/notify/wechat/refund/"
    )
    settings.WECHATPAY_API_BASE_URL = wechatpay_server.base_url
    return wechatpay_server


@pytest.fixture
def wechatpay_cert_mode(settings, wechatpay, wechatpay_key_files):
    """WeChat Pay enabled in platform-certificate mode (certificates in a directory)."""
    settings.WECHATPAY_PUBLIC_KEY_PATH = ""
    settings.WECHATPAY_PUBLIC_KEY_ID = ""
    settings.WECHATPAY_PLATFORM_CERT_DIR = wechatpay_key_files["cert_dir"]
    wechatpay.serial_mode = "certificate"
    return wechatpay


@pytest.fixture(scope="session")
def alipay_keys() -> AlipayKeys:
    return AlipayKeys.generate()


@pytest.fixture(scope="session")
def alipay_key_files(alipay_keys, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("alipay")
    private = folder / "app_private_key.pem"
    private.write_text(alipay_keys.app_private_pem)
    public = folder / "alipay_public_key.pem"
    public.write_text(alipay_keys.alipay_public_pem)
    return {"private_key": str(private), "public_key": str(public)}


@pytest.fixture
def alipay_server(alipay_keys):
    server = FakeAlipayServer(
        keys=alipay_keys, app_id=ALIPAY_APP_ID, seller_id=ALIPAY_SELLER_ID
    ).start()
    yield server
    server.stop()


@pytest.fixture
def alipay(settings, alipay_server, alipay_key_files):
    """Alipay enabled, talking to the fake gateway."""
    settings.ALIPAY_APP_ID = ALIPAY_APP_ID
    settings.ALIPAY_SELLER_ID = ALIPAY_SELLER_ID
    settings.ALIPAY_PRIVATE_KEY_PATH = alipay_key_files["private_key"]
    settings.ALIPAY_PUBLIC_KEY_PATH = alipay_key_files["public_key"]
    settings.ALIPAY_NOTIFY_URL = (
        "https://pay.example.test/api/v1/billing/notify/alipay/"
    )
    settings.ALIPAY_RETURN_URL = ""
    settings.ALIPAY_GATEWAY_URL = alipay_server.gateway_url
    return alipay_server


@pytest.fixture
def dev_gateway(settings):
    settings.PAYMENTS_DEV_GATEWAY = True
