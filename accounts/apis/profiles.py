"""The current user's patient profiles (就诊人): list, add, read, change, delete."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import NO_CONTENT
from accounts.models import PatientProfile
from accounts.selectors import (
    patient_profile_get_for_user,
    patient_profile_list_for_user,
    profile_id_card_masked,
    profile_insurance_card_masked,
    profile_phone_masked,
)
from accounts.services.profiles import (
    patient_profile_create,
    patient_profile_delete,
    patient_profile_update,
)
from common.api import PageQuerySerializer, get_paginated_response, paginated_schema
from common.schema import error_responses
from common.services import Actor


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
        parameters=[PageQuerySerializer],
        operation_id="accounts_profile_list",
        responses={
            200: paginated_schema("ProfilePage", ProfileOutputSerializer),
            **error_responses(400, 401, 404),
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
        responses={
            201: ProfileOutputSerializer,
            **error_responses(400, 401, 409),
        },
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
        responses={200: ProfileOutputSerializer, **error_responses(401, 404)},
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
        responses={
            200: ProfileOutputSerializer,
            **error_responses(400, 401, 404),
        },
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
        responses={204: NO_CONTENT, **error_responses(401, 404, 409)},
    )
    def post(self, request: Request, profile_id: int) -> Response:
        profile = patient_profile_get_for_user(user=request.user, profile_id=profile_id)

        patient_profile_delete(actor=Actor.from_request(request), profile=profile)

        return Response(status=status.HTTP_204_NO_CONTENT)
