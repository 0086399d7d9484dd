"""Login (WeChat, SMS, password), passwords, tokens (refresh, logout) and the current user."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import NO_CONTENT
from accounts.models import User
from accounts.selectors import (
    SESSION_CLAIM,
    member_privileges_for_user,
    user_phone_masked,
)
from accounts.services.login import (
    sms_code_send,
    user_login_with_sms,
    user_login_with_wechat,
)
from accounts.services.passwords import (
    user_login_with_password,
    user_password_reset,
    user_password_set,
)
from accounts.services.tokens import token_refresh, user_logout, user_tokens_issue
from common.schema import error_responses
from common.services import Actor


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    phone = serializers.SerializerMethodField()
    nickname = serializers.CharField()
    role = serializers.CharField()
    member_level = serializers.SerializerMethodField(
        help_text="Code of the member level, e.g. normal, silver, gold, vip."
    )
    points = serializers.IntegerField()

    def get_phone(self, user: User) -> str | None:
        return user_phone_masked(user)

    def get_member_level(self, user: User) -> str:
        return member_privileges_for_user(user=user).level_code


class LoginOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    is_new_user = serializers.BooleanField()
    user = UserOutputSerializer()


def _login_response(user: User, created: bool) -> Response:
    tokens = user_tokens_issue(user=user)
    data = {**tokens, "is_new_user": created, "user": user}
    return Response(LoginOutputSerializer(data).data, status=status.HTTP_200_OK)


class WeChatLoginApi(APIView):
    # A stale Authorization header must not stop anyone from logging in again.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "WeChatLoginInput"

        code = serializers.CharField(max_length=128)

    @extend_schema(
        operation_id="accounts_login_wechat",
        request=InputSerializer,
        responses={
            200: LoginOutputSerializer,
            **error_responses(400, 403, 429, 503),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        user, created = user_login_with_wechat(
            actor=Actor.from_request(request), code=serializer.validated_data["code"]
        )

        return _login_response(user, created)


class SmsSendApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SmsSendInput"

        phone = serializers.CharField(max_length=20)

    @extend_schema(
        operation_id="accounts_sms_send",
        request=InputSerializer,
        responses={
            200: inline_serializer(
                name="SmsSent",
                fields={
                    "expires_in": serializers.IntegerField(),
                    "resend_after": serializers.IntegerField(),
                },
            ),
            **error_responses(400, 429, 503),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        sms_code_send(
            actor=Actor.from_request(request), phone=serializer.validated_data["phone"]
        )

        return Response(
            {
                "expires_in": settings.SMS_CODE_TTL_SECONDS,
                "resend_after": settings.SMS_RESEND_INTERVAL_SECONDS,
            },
            status=status.HTTP_200_OK,
        )


class SmsLoginApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SmsLoginInput"

        phone = serializers.CharField(max_length=20)
        code = serializers.RegexField(
            r"^[0-9]{6}$",
            error_messages={"invalid": _("Enter the 6-digit code.")},
        )

    @extend_schema(
        operation_id="accounts_login_sms",
        request=InputSerializer,
        responses={200: LoginOutputSerializer, **error_responses(400, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        user, created = user_login_with_sms(
            actor=Actor.from_request(request),
            phone=serializer.validated_data["phone"],
            code=serializer.validated_data["code"],
        )

        return _login_response(user, created)


class PasswordLoginApi(APIView):
    """Log in with a phone number or username and the password the patient set."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PasswordLoginInput"

        login = serializers.CharField(
            max_length=150, help_text="The phone number or the username."
        )
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(
        operation_id="accounts_login_password",
        request=InputSerializer,
        responses={200: LoginOutputSerializer, **error_responses(400, 429)},
        description="Wrong passwords count per account and per address: after "
        "AXES_FAILURE_LIMIT (10) failures, password login is refused (429 login_locked) "
        "for AXES_COOLOFF_MINUTES (30), even with the right password.",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        user = user_login_with_password(
            request=request,
            login=serializer.validated_data["login"],
            password=serializer.validated_data["password"],
        )

        return _login_response(user, False)


class PasswordSetApi(APIView):
    """The logged-in patient sets (or changes) their password, and optionally a username."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PasswordSetInput"

        password = serializers.CharField(max_length=128, trim_whitespace=False)
        username = serializers.CharField(max_length=30, required=False, default="")
        current_password = serializers.CharField(
            max_length=128,
            trim_whitespace=False,
            required=False,
            default="",
            help_text="Needed when the account already has a password.",
        )

    @extend_schema(
        operation_id="accounts_password_set",
        request=InputSerializer,
        responses={
            200: UserOutputSerializer,
            **error_responses(400, 401, 403, 409, 429),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        user = user_password_set(
            request=request,
            actor=Actor.from_request(request),
            user=request.user,
            # The session this request signed in with stays (no token: none to keep).
            keep_sid=str(request.auth.get(SESSION_CLAIM) or "") if request.auth else "",
            **serializer.validated_data,
        )

        return Response(UserOutputSerializer(user).data)


class PasswordResetApi(APIView):
    """A new password with the SMS code sent to the account's phone (accounts/sms/send/)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PasswordResetInput"

        phone = serializers.CharField(max_length=20)
        code = serializers.RegexField(
            r"^[0-9]{6}$",
            error_messages={"invalid": _("Enter the 6-digit code.")},
        )
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(
        operation_id="accounts_password_reset",
        request=InputSerializer,
        responses={204: NO_CONTENT, **error_responses(400, 403, 404, 429)},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        user_password_reset(
            actor=Actor.from_request(request), **serializer.validated_data
        )

        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRefreshApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenRefreshInput"

        refresh = serializers.CharField(max_length=4096)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenPair"

        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(
        operation_id="accounts_token_refresh",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401)},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        tokens = token_refresh(refresh=serializer.validated_data["refresh"])

        return Response(self.OutputSerializer(tokens).data)


class LogoutApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "LogoutInput"

        refresh = serializers.CharField(max_length=4096)

    @extend_schema(
        operation_id="accounts_logout",
        request=InputSerializer,
        responses={204: NO_CONTENT, **error_responses(400, 401)},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        user_logout(
            actor=Actor.from_request(request),
            refresh=serializer.validated_data["refresh"],
        )

        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(
        operation_id="accounts_me",
        responses={200: UserOutputSerializer, **error_responses(401)},
    )
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)
