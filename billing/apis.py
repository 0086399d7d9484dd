"""Patient payment API and the channels' notification endpoints."""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.selectors import appointment_get_for_user
from billing import alipay, selectors, wechatpay
from billing.errors import ErrorCode
from billing.gateways import channels_enabled, dev_gateway_enabled
from billing.metrics import payment_notification_counted
from billing.models import Channel, PaymentOrder
from billing.payables import order_pay_before
from billing.services import notifications, orders
from common.api import error_body
from common.errors import NotFound
from common.idempotency import idempotent
from common.schema import IDEMPOTENCY_KEY, error_responses
from common.services import Actor

logger = logging.getLogger(__name__)


class RefundOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    amount = serializers.IntegerField(help_text="fen")
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    created_at = serializers.DateTimeField()
    succeeded_at = serializers.DateTimeField(allow_null=True)


class PaymentOrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(
        help_text="what the order pays for: appointment, consult"
    )
    appointment_id = serializers.IntegerField(allow_null=True)
    ref_id = serializers.IntegerField(
        allow_null=True, help_text="the consult's id for a consult order"
    )
    channel = serializers.CharField()
    out_trade_no = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    original_amount = serializers.IntegerField(help_text="fen, the doctor's fee")
    amount = serializers.IntegerField(help_text="fen, after the member discount")
    refunded_amount = serializers.IntegerField(help_text="fen")
    pay_before = serializers.SerializerMethodField()
    paid_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    refunds = RefundOutputSerializer(many=True, source="refunds.all")

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_pay_before(self, order: PaymentOrder) -> str | None:
        pay_before = order_pay_before(order)
        return (
            serializers.DateTimeField().to_representation(pay_before)
            if pay_before
            else None
        )


class ChannelListApi(APIView):
    @extend_schema(
        responses={
            200: inline_serializer(
                "ChannelList",
                {"channels": serializers.ListField(child=serializers.CharField())},
            ),
            **error_responses(401),
        }
    )
    def get(self, request: Request) -> Response:
        return Response({"channels": channels_enabled()})


class PaymentOrderCreateApi(APIView):
    """Open (or reuse) the payment order of a pending appointment; answer the pay parameters.

    The order is opened inside the idempotency block; the pay parameters are computed after
    it, outside any transaction, because WeChat's prepay is a network call.
    """

    class InputSerializer(serializers.Serializer):
        appointment_id = serializers.IntegerField(min_value=1)
        channel = serializers.ChoiceField(choices=Channel.choices)
        scene = serializers.ChoiceField(
            choices=PaymentOrder.Scene.choices,
            default=PaymentOrder.Scene.MINIPROGRAM,
            help_text=(
                "Where the patient pays. WeChat Pay: miniprogram gives the "
                "wx.requestPayment parameters (JSAPI, needs the WeChat login), web gives "
                "{code_url} to show as a QR code (Native). Alipay and dev: the same."
            ),
        )

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: PaymentOrderOutputSerializer,
            **error_responses(400, 401, 404, 409, 422, 503),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def open_order() -> Response:
            appointment = appointment_get_for_user(
                user=request.user, appointment_id=data["appointment_id"]
            )
            order = orders.payment_order_open(
                appointment=appointment,
                channel=data["channel"],
                scene=data["scene"],
                actor=Actor.from_request(request),
            )
            return Response({"id": order.pk}, status=status.HTTP_201_CREATED)

        response = idempotent(request, scope="billing_order_create", handler=open_order)
        order = selectors.payment_order_get_for_user(
            user=request.user, order_id=response.data["id"]
        )
        pay_params = orders.payment_order_pay_params(order=order)
        body = {**PaymentOrderOutputSerializer(order).data, "pay_params": pay_params}
        headers = {
            name: value
            for name, value in response.items()
            if name == "Idempotent-Replayed"
        }
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class PaymentOrderDetailApi(APIView):
    @extend_schema(
        responses={200: PaymentOrderOutputSerializer, **error_responses(401, 404)}
    )
    def get(self, request: Request, order_id: int) -> Response:
        order = selectors.payment_order_get_for_user(
            user=request.user, order_id=order_id
        )
        return Response(PaymentOrderOutputSerializer(order).data)


class PaymentOrderDevPayApi(APIView):
    """The dev gateway's "pay" button (DEBUG or PAYMENTS_DEV_GATEWAY only)."""

    @extend_schema(
        request=None,
        responses={
            200: PaymentOrderOutputSerializer,
            **error_responses(401, 404, 409),
        },
    )
    def post(self, request: Request, order_id: int) -> Response:
        if not dev_gateway_enabled():
            raise NotFound()
        order = selectors.payment_order_get_for_user(
            user=request.user, order_id=order_id
        )
        notifications.payment_order_dev_pay(
            order=order, actor=Actor.from_request(request)
        )
        order = selectors.payment_order_get_for_user(
            user=request.user, order_id=order_id
        )
        return Response(PaymentOrderOutputSerializer(order).data)


# -- channel notifications ----------------------------------------------------------------
# Plain Django views: the channels are not API clients. No JWT, no CSRF token, but nothing
# is believed before its signature verifies. Each answers in the exact form its channel
# expects, which decides whether the channel sends the notification again.


@method_decorator(csrf_exempt, name="dispatch")
class WeChatPayNotifyView(View):
    """WeChat Pay payment and refund notifications.

    Success: 204 with no body. Refusal: 4xx with {"code": "FAIL", "message": ...}, so WeChat
    sends it again later, plus our error shape under "error" (WeChat reads only code and
    message). Malformed input of any kind is a refusal; only our own bugs answer 500.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            notifications.wechatpay_notification_handle(
                headers=request.headers,
                body=request.body,
                actor=Actor.from_request(request),
            )
        except wechatpay.NotificationRejected as exc:
            payment_notification_counted(channel="wechat", result="rejected")
            logger.warning("WeChat Pay notification rejected: %s", exc.reason)
            return JsonResponse(
                {
                    "code": "FAIL",
                    "message": exc.reason,
                    **error_body(ErrorCode.NOTIFICATION_REJECTED, exc.reason),
                },
                status=exc.status,
                json_dumps_params={"ensure_ascii": False},
            )
        except Exception:
            payment_notification_counted(channel="wechat", result="error")
            raise
        payment_notification_counted(channel="wechat", result="handled")
        return HttpResponse(status=204)


@method_decorator(csrf_exempt, name="dispatch")
class AlipayNotifyView(View):
    """Alipay asynchronous notifications: answer exactly "success" when handled.

    A refusal answers "fail" (the only failure body Alipay reads; it sends the notification
    again) with a 4xx status, so our logs and monitors count it as refused input.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            notifications.alipay_notification_handle(
                params=request.POST.dict(), actor=Actor.from_request(request)
            )
        except alipay.NotificationRejected as exc:
            payment_notification_counted(channel="alipay", result="rejected")
            logger.warning("Alipay notification rejected: %s", exc.reason)
            return HttpResponse("fail", content_type="text/plain", status=exc.status)
        except Exception:
            payment_notification_counted(channel="alipay", result="error")
            raise
        payment_notification_counted(channel="alipay", result="handled")
        return HttpResponse("success", content_type="text/plain")
