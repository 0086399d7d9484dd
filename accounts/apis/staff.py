"""Doctors' and hospital staff's sign-in to the clinic workspace API."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services.staff_login import staff_login, staff_token_claims
from common.schema import error_responses


class StaffLoginApi(APIView):
    """Sign in with username and password (and the authenticator code when required)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StaffLoginInput"

        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        otp_token = serializers.CharField(
            max_length=16,
            required=False,
            default="",
            help_text="The 6-digit code of the authenticator app (or a one-time "
            "recovery code); required when the platform asks staff for a second factor.",
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StaffLoginOutput"

        access = serializers.CharField()
        refresh = serializers.CharField()
        role = serializers.CharField()
        hospital_id = serializers.IntegerField(allow_null=True)
        doctor_id = serializers.IntegerField(allow_null=True)

    @extend_schema(
        operation_id="accounts_staff_login",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 403, 429)},
        description="For doctors, hospital staff and platform admins (a patient's "
        "account answers 403 not_staff_account). The tokens carry the claims `role`, "
        "`hospital_id` and, for a doctor, `doctor_id`; refresh and log out with "
        "accounts/token/refresh/ and accounts/logout/. Failures (a wrong password or "
        "a wrong code) count like the admin's: after AXES_FAILURE_LIMIT (10) per "
        "account or per address, login is refused (429 login_locked) for "
        "AXES_COOLOFF_MINUTES (30). With STAFF_REQUIRE_OTP, `otp_token` is required "
        "(400 otp_required, 400 otp_invalid, 403 otp_device_required).",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        user, tokens = staff_login(request=request, **serializer.validated_data)

        data = {"doctor_id": None, **staff_token_claims(user), **tokens}
        return Response(self.OutputSerializer(data).data, status=status.HTTP_200_OK)
