"""The current user's membership: level, privileges and the points ledger."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import (
    MemberSummary,
    member_summary_for_user,
    points_entry_list_for_user,
)
from common.api import PageQuerySerializer, get_paginated_response, paginated_schema
from common.schema import error_responses


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
        responses={200: OutputSerializer, **error_responses(401)},
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
        parameters=[PageQuerySerializer],
        operation_id="accounts_member_points",
        responses={
            200: paginated_schema("PointsEntryPage", OutputSerializer),
            **error_responses(400, 401, 404),
        },
    )
    def get(self, request: Request) -> Response:
        return get_paginated_response(
            serializer_class=self.OutputSerializer,
            queryset=points_entry_list_for_user(user=request.user),
            request=request,
            view=self,
        )
