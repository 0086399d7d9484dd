"""Payment channels behind one interface (base.PaymentGateway), found by channel.

Adding a channel: a Channel choice, one module here with its gateway, and its line below.
"""

from billing.gateways import alipay, dev, wechatpay
from billing.gateways.base import PaymentGateway
from billing.models import Channel

GATEWAYS: dict[str, PaymentGateway] = {
    gateway.channel: gateway
    for gateway in (wechatpay.gateway, alipay.gateway, dev.gateway)
}


def gateway_for(channel: str) -> PaymentGateway:
    """The gateway of `channel` (a Channel value). KeyError for an unknown channel."""
    return GATEWAYS[channel]


def channel_is_enabled(channel: str) -> bool:
    gateway = GATEWAYS.get(channel)
    return gateway is not None and gateway.is_enabled()


def channels_enabled() -> list[str]:
    return [channel.value for channel in Channel if channel_is_enabled(channel)]


def dev_gateway_enabled() -> bool:
    return dev.gateway.is_enabled()
