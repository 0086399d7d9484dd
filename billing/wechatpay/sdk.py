"""The `wechatpayv3` SDK made to talk to a configurable gateway (the SDK hard-codes it)."""

from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core


class GatewayCore(Core):
    """The SDK's Core with the gateway taken from settings.

    Core hard-codes https://api.mch.weixin.qq.com in `self._gate_way` (the attribute every
    request, and the SDK's own download_bill, builds URLs from). In platform-certificate mode
    Core.__init__ already calls the gateway (to download certificates) as its last step, so
    the configured URL is put in place before that call as well as after __init__.
    """

    def __init__(self, *, gateway: str, **kwargs) -> None:
        self._configured_gateway = gateway
        super().__init__(**kwargs)
        self._gate_way = gateway

    def _init_certificates(self) -> None:
        self._gate_way = self._configured_gateway
        super()._init_certificates()


class GatewayWeChatPay(WeChatPay):
    """WeChatPay built on GatewayCore.

    WeChatPay.__init__ only stores these attributes and builds a stock Core; it is not called,
    because the stock Core would talk to the hard-coded gateway during construction.
    """

    def __init__(self, *, mchid: str, appid: str, notify_url: str, core: Core) -> None:
        self._type = WeChatPayType.MINIPROG
        self._mchid = mchid
        self._appid = appid
        self._notify_url = notify_url
        self._core = core
        self._partner_mode = False
