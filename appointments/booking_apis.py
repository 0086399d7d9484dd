"""The booking endpoint and its tickets (README, "The rush")."""

import json

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts.auth import (
    AuthenticationFailed,
    StatelessJWTAuthentication,
    validated_token_keep,
)
from accounts.models import User
from accounts.selectors import patient_profile_get_for_user
from appointments import selectors, services
from appointments.apis import AppointmentOutputSerializer
from appointments.models import BookingTicket
from appointments.services.stock_booking import (
    StockAnswer,
    UserNotActive,
    booking_refusal_peek,
    booking_try_stock,
    ticket_outcome,
)
from common.api import client_ip, error_body
from common.idempotency import HEADER as IDEMPOTENCY_HEADER
from common.idempotency import idempotent
from common.schema import IDEMPOTENCY_KEY, error_responses
from common.services import Actor


class TicketOutputSerializer(serializers.Serializer):
    class Refusal(serializers.Serializer):
        code = serializers.CharField()
        message = serializers.CharField()

    ticket = serializers.CharField(help_text="the ticket's id, to poll")
    status = serializers.ChoiceField(choices=BookingTicket.Status.choices)
    poll = serializers.CharField(help_text="the URL that answers the ticket's status")
    appointment = AppointmentOutputSerializer(allow_null=True)
    error = Refusal(allow_null=True)


def ticket_body(request: Request, *, ticket_id: int, status_: str, **extra) -> dict:
    return {
        "ticket": str(ticket_id),
        "status": status_,
        "poll": reverse("api:appointments:ticket-detail", args=[ticket_id]),
        "appointment": extra.get("appointment"),
        "error": extra.get("error"),
    }


class AppointmentBookApi(APIView):
    """Book a seat. In a rush the seat is taken in the Redis stock first (README, "The
    rush"): a refusal there is answered without reading the user, profile or slot (the
    token is checked, not the user's row: StatelessJWTAuthentication); a seat won there is
    written by the ticket writer, and the answer is the appointment (201) when the writer
    decided within BOOKING_TICKET_WAIT_MS, else the ticket to poll (202). Without the
    stock (off, Redis failing, the session not loaded, a member's early booking) the
    database path books at once (201)."""

    # The service that takes the seat, and whether the stock is asked first (the rush
    # benchmark's naive baseline swaps in its own service, without the stock).
    book_service = staticmethod(services.appointment_book)
    use_stock = True
    authentication_classes = [StatelessJWTAuthentication]

    class InputSerializer(serializers.Serializer):
        slot_id = serializers.IntegerField(min_value=1)
        profile_id = serializers.IntegerField(min_value=1)

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The rush's refusals (sold out, not released, ...) are answered here, before
        # DRF's request, parsing, authentication objects and renderer; anything else
        # (a bad token or body, a winner, an Idempotency-Key) goes the whole way.
        if self.use_stock and request.method == "POST":
            refused = refusal_before_drf(request)
            if refused is not None:
                return refused
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: AppointmentOutputSerializer,
            202: TicketOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 422),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user_id = int(request.user.pk)

        def book() -> Response:
            if not self.use_stock:
                return self._book_in_database(request, data, user_id)
            try:
                answer = booking_try_stock(
                    user_id=user_id,
                    profile_id=data["profile_id"],
                    slot_id=data["slot_id"],
                    now=timezone.now(),
                )
            except UserNotActive:
                raise user_not_active() from None
            if answer is None:
                return self._book_in_database(request, data, user_id)
            return stock_answer_response(request, answer, user_id=user_id)

        return idempotent(request, scope="appointment_book", handler=book)

    def _book_in_database(self, request: Request, data: dict, user_id: int) -> Response:
        user = user_get_active(user_id=user_id)
        profile = patient_profile_get_for_user(user=user, profile_id=data["profile_id"])
        slot = selectors.slot_get_for_booking(slot_id=data["slot_id"])
        appointment = self.book_service(
            actor=Actor(user=user, ip=client_ip(request)),
            user=user,
            profile=profile,
            slot=slot,
        )
        appointment = selectors.appointment_get_for_user(
            user=user, appointment_id=appointment.pk
        )
        return Response(
            AppointmentOutputSerializer(appointment).data,
            status=status.HTTP_201_CREATED,
        )


def refusal_before_drf(request: HttpRequest) -> HttpResponse | None:
    """The stock's refusal of a well-formed, authenticated booking request, in the error
    shape; None when the request is anything else (DRF then answers it in full)."""
    if IDEMPOTENCY_HEADER in request.headers:
        return None  # a replay must answer what the first request was answered
    auth = StatelessJWTAuthentication()
    raw = auth.get_raw_token(auth.get_header(request) or b"")
    if raw is None:
        return None
    try:
        token = auth.get_validated_token(raw)
        validated_token_keep(request, raw, token)
        body = json.loads(request.body)
    except (AuthenticationFailed, InvalidToken, TokenError, ValueError):
        return None
    ids = [body.get(name) if isinstance(body, dict) else None for name in FIELDS]
    user_id = str(
        token.get(jwt_settings.USER_ID_CLAIM, "")
    )  # simplejwt writes a string
    if not user_id.isdigit() or not all(type(v) is int and v > 0 for v in ids):
        return None
    error = booking_refusal_peek(
        user_id=int(user_id), profile_id=ids[1], slot_id=ids[0], now=timezone.now()
    )
    if error is None:
        return None
    return HttpResponse(
        json.dumps(error_body(error.code, error.message), ensure_ascii=False).encode(),
        status=error.status_code,
        content_type="application/json",
    )


FIELDS = ("slot_id", "profile_id")


def user_get_active(*, user_id: int) -> User:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise user_not_active()
    return user


def user_not_active() -> AuthenticationFailed:
    return AuthenticationFailed(_("User is inactive or was deleted."), "user_inactive")


def stock_answer_response(
    request: Request, answer: StockAnswer, *, user_id: int
) -> Response:
    """201 with the appointment, the writer's refusal, or 202 with the ticket."""
    outcome = ticket_outcome(answer, load_user=lambda: user_get_active(user_id=user_id))
    if outcome.appointment is not None:
        return Response(
            AppointmentOutputSerializer(outcome.appointment).data,
            status=status.HTTP_201_CREATED,
        )
    if outcome.refusal is not None:
        raise outcome.refusal
    return Response(
        ticket_body(request, ticket_id=answer.ticket_id, status_=answer.status),
        status=status.HTTP_202_ACCEPTED,
    )


class BookingTicketApi(APIView):
    """A booking ticket's status: queued, booked (with the appointment) or refused (with
    the refusal's code and message). The caller's own tickets only; any other id is 404."""

    @extend_schema(
        operation_id="appointments_ticket_retrieve",
        responses={200: TicketOutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, ticket_id: int) -> Response:
        ticket = selectors.booking_ticket_get_for_user(
            user=request.user, ticket_id=ticket_id
        )
        outcome = ticket_outcome(
            StockAnswer.of_ticket(ticket), load_user=lambda: request.user
        )
        extra = {}
        if outcome.appointment is not None:
            extra["appointment"] = AppointmentOutputSerializer(outcome.appointment).data
        elif outcome.refusal is not None:
            extra["error"] = {
                "code": outcome.refusal.code,
                "message": str(outcome.refusal.message),
            }
        return Response(
            ticket_body(request, ticket_id=ticket.pk, status_=ticket.status, **extra)
        )
