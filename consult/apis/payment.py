"""Paying for a consult: the patient opens (or reuses) a billing order for it.

The answer is billing's own order output (and its pay parameters), so the clients pay a
consult exactly as they pay an appointment; the dev gateway's dev-pay and the channels'
notifications then go through billing."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors as billing_selectors
from billing.apis import PaymentOrderOutputSerializer
from billing.models import Channel, PaymentOrder
from billing.services.orders import payment_order_pay_params
from common.idempotency import idempotent
from common.schema import IDEMPOTENCY_KEY, error_responses
from common.services import Actor
from consult import selectors
from consult.services.payment import consult_pay


class ConsultPayApi(APIView):
    """Pay for my consult awaiting payment: billing's payment order and pay parameters.

    Opened inside the idempotency block; the pay parameters are computed after it,
    outside any transaction (WeChat's prepay is a network call)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        channel = serializers.ChoiceField(choices=Channel.choices)
        scene = serializers.ChoiceField(
            choices=PaymentOrder.Scene.choices,
            default=PaymentOrder.Scene.MINIPROGRAM,
            help_text="Where the patient pays, as for an appointment's order.",
        )

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: PaymentOrderOutputSerializer,
            **error_responses(400, 401, 404, 409, 422, 503),
        },
    )
    def post(self, request: Request, consult_id: int) -> Response:
        # Someone else's consult answers 404 before anything about the body.
        consult = selectors.consult_get_for_patient(
            user=request.user, consult_id=consult_id
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def open_order() -> Response:
            order = consult_pay(
                consult=consult,
                channel=data["channel"],
                scene=data["scene"],
                actor=Actor.from_request(request),
            )
            return Response({"id": order.pk}, status=status.HTTP_201_CREATED)

        response = idempotent(request, scope="consult_pay", handler=open_order)
        order = billing_selectors.payment_order_get_for_user(
            user=request.user, order_id=response.data["id"]
        )
        pay_params = payment_order_pay_params(order=order)
        body = {**PaymentOrderOutputSerializer(order).data, "pay_params": pay_params}
        headers = {
            name: value
            for name, value in response.items()
            if name == "Idempotent-Replayed"
        }
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)
