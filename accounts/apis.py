"""Patient-facing accounts API: login (WeChat, SMS), tokens, the current user, profiles."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import PatientProfile, User
from accounts.selectors import (
    MemberSummary,
    member_privileges_for_user,
    member_summary_for_user,
    patient_profile_get_for_user,
    patient_profile_list_for_user,
    points_entry_list_for_user,
    profile_id_card_masked,
    profile_insurance_card_masked,
    profile_phone_masked,
    user_phone_masked,
)
from accounts.services import (
    patient_profile_create,
    patient_profile_delete,
    patient_profile_update,
    sms_code_send,
    token_refresh,
    user_login_with_sms,
    user_login_with_wechat,
    user_logout,
    user_tokens_issue,
)
from common.api import get_paginated_response, paginated_schema
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


_ERROR = OpenApiResponse(
    description="The error shape: {error: {code, message, fields}}."
)
_NO_CONTENT = OpenApiResponse(description="Done, no body.")


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
        responses={200: LoginOutputSerializer, 400: _ERROR, 429: _ERROR, 503: _ERROR},
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
            400: _ERROR,
            429: _ERROR,
            503: _ERROR,
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
        responses={200: LoginOutputSerializer, 400: _ERROR, 403: _ERROR},
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
        responses={200: OutputSerializer, 400: _ERROR, 401: _ERROR},
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
        responses={204: _NO_CONTENT, 400: _ERROR, 401: _ERROR},
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
        operation_id="accounts_me", responses={200: UserOutputSerializer, 401: _ERROR}
    )
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)


# -- patient profiles --------------------------------------------------------------------


class ProfileOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    relation = serializers.CharField()
    gender = serializers.CharField()
    birth_date = serializers.DateField()
    id_card_no = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    insurance_card_no = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_id_card_no(self, profile: PatientProfile) -> str:
        return profile_id_card_masked(profile)

    def get_phone(self, profile: PatientProfile) -> str:
        return profile_phone_masked(profile)

    def get_insurance_card_no(self, profile: PatientProfile) -> str:
        return profile_insurance_card_masked(profile)


class ProfileListApi(APIView):
    @extend_schema(
        operation_id="accounts_profile_list",
        responses={
            200: paginated_schema("ProfilePage", ProfileOutputSerializer),
            401: _ERROR,
        },
    )
    def get(self, request: Request) -> Response:
        return get_paginated_response(
            serializer_class=ProfileOutputSerializer,
            queryset=patient_profile_list_for_user(user=request.user),
            request=request,
            view=self,
        )


class ProfileCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProfileCreateInput"

        name = serializers.CharField(max_length=50)
        relation = serializers.ChoiceField(choices=PatientProfile.Relation.choices)
        id_card_no = serializers.CharField(max_length=18)
        phone = serializers.CharField(max_length=20)
        gender = serializers.ChoiceField(
            choices=PatientProfile.Gender.choices, required=False
        )
        birth_date = serializers.DateField(required=False)
        insurance_card_no = serializers.CharField(
            max_length=32, required=False, allow_blank=True
        )

    @extend_schema(
        operation_id="accounts_profile_create",
        request=InputSerializer,
        responses={201: ProfileOutputSerializer, 400: _ERROR, 409: _ERROR},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        profile = patient_profile_create(
            actor=Actor.from_request(request),
            user=request.user,
            **serializer.validated_data,
        )

        return Response(
            ProfileOutputSerializer(profile).data, status=status.HTTP_201_CREATED
        )


class ProfileDetailApi(APIView):
    @extend_schema(
        operation_id="accounts_profile_detail",
        responses={200: ProfileOutputSerializer, 404: _ERROR},
    )
    def get(self, request: Request, profile_id: int) -> Response:
        profile = patient_profile_get_for_user(user=request.user, profile_id=profile_id)
        return Response(ProfileOutputSerializer(profile).data)


class ProfileUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProfileUpdateInput"

        name = serializers.CharField(max_length=50, required=False)
        relation = serializers.ChoiceField(
            choices=PatientProfile.Relation.choices, required=False
        )
        phone = serializers.CharField(max_length=20, required=False)
        insurance_card_no = serializers.CharField(
            max_length=32, required=False, allow_blank=True
        )

    @extend_schema(
        operation_id="accounts_profile_update",
        request=InputSerializer,
        responses={200: ProfileOutputSerializer, 400: _ERROR, 404: _ERROR},
    )
    def post(self, request: Request, profile_id: int) -> Response:
        profile = patient_profile_get_for_user(user=request.user, profile_id=profile_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        profile = patient_profile_update(
            actor=Actor.from_request(request),
            profile=profile,
            **serializer.validated_data,
        )

        return Response(ProfileOutputSerializer(profile).data)


class ProfileDeleteApi(APIView):
    @extend_schema(
        operation_id="accounts_profile_delete",
        request=None,
        responses={204: _NO_CONTENT, 404: _ERROR, 409: _ERROR},
    )
    def post(self, request: Request, profile_id: int) -> Response:
        profile = patient_profile_get_for_user(user=request.user, profile_id=profile_id)

        patient_profile_delete(actor=Actor.from_request(request), profile=profile)

        return Response(status=status.HTTP_204_NO_CONTENT)


# -- membership --------------------------------------------------------------------------


class MemberLevelOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MemberLevel"

    code = serializers.CharField()
    name = serializers.CharField()
    points_required = serializers.IntegerField()


class MemberPrivilegesOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MemberPrivileges"

    priority_hours = serializers.IntegerField(
        help_text="Hours before a session's public release this level may book."
    )
    reserved_share = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        help_text="Share of each session's seats bookable early, e.g. 0.1000.",
    )
    late_cancel_monthly_quota = serializers.IntegerField()
    discount_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        help_text="Share of the fee paid: 0.9500 is 5 % off.",
    )
    waitlist_priority = serializers.IntegerField()


class MemberApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Member"

        level = MemberLevelOutputSerializer(allow_null=True)
        privileges = MemberPrivilegesOutputSerializer()
        points = serializers.IntegerField()
        next_level = MemberLevelOutputSerializer(allow_null=True)
        points_to_next_level = serializers.IntegerField(allow_null=True)
        late_cancels_left_this_month = serializers.SerializerMethodField()

        def get_late_cancels_left_this_month(self, summary: MemberSummary) -> int:
            quota = summary.privileges.late_cancel_monthly_quota
            return max(quota - summary.late_cancels_used, 0)

    @extend_schema(
        operation_id="accounts_member",
        responses={200: OutputSerializer, 401: _ERROR},
    )
    def get(self, request: Request) -> Response:
        summary = member_summary_for_user(user=request.user, now=timezone.now())
        return Response(self.OutputSerializer(summary).data)


class MemberPointsListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PointsEntry"

        id = serializers.IntegerField()
        delta = serializers.IntegerField(help_text="Points added (negative: taken).")
        balance_after = serializers.IntegerField()
        source_type = serializers.CharField()
        source = serializers.CharField(source="get_source_type_display")
        reason = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="accounts_member_points",
        responses={
            200: paginated_schema("PointsEntryPage", OutputSerializer),
            401: _ERROR,
        },
    )
    def get(self, request: Request) -> Response:
        return get_paginated_response(
            serializer_class=self.OutputSerializer,
            queryset=points_entry_list_for_user(user=request.user),
            request=request,
            view=self,
        )
