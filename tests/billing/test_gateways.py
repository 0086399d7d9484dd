"""The gateway registry: every payment channel has exactly one gateway behind one interface."""

from billing.gateways import GATEWAYS, channel_is_enabled, channels_enabled, gateway_for
from billing.models import Channel


def test_every_channel_has_the_gateway_that_names_it():
    # given / when
    found = {channel: gateway_for(channel) for channel in Channel.values}

    # then
    assert set(GATEWAYS) == set(Channel.values)
    assert all(gateway.channel == channel for channel, gateway in found.items())


def test_an_unknown_channel_is_never_enabled(dev_gateway, alipay):
    # given: two channels configured

    # when / then
    assert channels_enabled() == ["alipay", "dev"]
    assert channel_is_enabled("cash") is False


def test_a_channel_without_configuration_is_not_enabled(settings):
    # given: no WeChat Pay or Alipay merchant, no dev gateway
    settings.DEBUG = False
    settings.PAYMENTS_DEV_GATEWAY = False
    settings.WECHATPAY_MCHID = ""
    settings.ALIPAY_APP_ID = ""

    # when / then
    assert channels_enabled() == []
