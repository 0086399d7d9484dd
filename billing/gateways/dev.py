"""The development gateway: pays at once, from a button in the app (DEBUG or opt-in only)."""

from django.conf import settings
from django.urls import reverse

from billing.gateways.base import ChannelRefundState, ChannelTrade
from billing.models import Channel, PaymentOrder, Refund


class DevGateway:
    channel = Channel.DEV

    def is_enabled(self) -> bool:
        return bool(settings.DEBUG or settings.PAYMENTS_DEV_GATEWAY)

    def prepay(self, order: PaymentOrder, *, description: str) -> str:
        return ""

    def pay_params(
        self, order: PaymentOrder, *, description: str, prepay_id: str
    ) -> dict:
        return {"dev_pay_url": reverse("api:billing:order-dev-pay", args=[order.pk])}

    def query(self, order: PaymentOrder) -> ChannelTrade | None:
        return None  # the dev gateway pays synchronously: nothing to ask

    def close(self, order: PaymentOrder) -> None:
        return None  # nothing is open anywhere but here

    def refund(self, refund: Refund) -> ChannelRefundState:
        return ChannelRefundState(
            status=Refund.Status.SUCCEEDED,
            channel_refund_id=f"DEV-{refund.out_refund_no}",
        )

    def refund_query(self, refund: Refund) -> ChannelRefundState | None:
        return None


gateway = DevGateway()
