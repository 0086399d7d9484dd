"""The patient's hospital catalog: browsing needs no login.

Answers are cached as rendered JSON for settings.CATALOG_CACHE_SECONDS under the catalog
version, which every write through hospitals.services bumps (see hospitals.cache). A hit
is one cache round trip and no query: the URL is the key, so its parameters are checked
only when the answer is built, and a refused request (400, 404) is never cached.
The answers are the same for every caller (a bad token is refused with 401 first).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import PageQuerySerializer, get_paginated_response, paginated_schema
from common.schema import error_response, error_responses
from hospitals.catalog_api import CatalogApi
from hospitals.models import Hospital
from hospitals.selectors import (
    department_get_for_patient,
    doctor_get_for_patient,
    doctor_list_for_department,
    hospital_get_for_patient,
    hospital_list,
)


class ClinicOutputSerializer(serializers.Serializer):
    """A clinic (科室) under a top-level department."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    introduction = serializers.CharField()


class DepartmentTreeOutputSerializer(serializers.Serializer):
    """A top-level department (大科室) with its active clinics, sorted."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    introduction = serializers.CharField()
    children = ClinicOutputSerializer(source="active_children", many=True)


_NOT_FOUND = error_response(404, "Unknown, closed or inactive.")
# The catalog needs no login, but a stale or forged token is refused, not ignored.
_BAD_TOKEN = error_responses(401)


class HospitalListApi(CatalogApi):
    class FilterSerializer(PageQuerySerializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=50)
        level = serializers.ChoiceField(
            choices=Hospital.Level.choices, required=False, allow_blank=True
        )
        region = serializers.CharField(required=False, allow_blank=True, max_length=50)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = (
                "HospitalListItem"  # the API docs' name; every view has an "Output"
            )

        id = serializers.IntegerField()
        name = serializers.CharField()
        level = serializers.CharField()
        level_display = serializers.CharField(source="get_level_display")
        region = serializers.CharField()
        address = serializers.CharField()
        phone = serializers.CharField()
        logo_url = serializers.CharField()

    @extend_schema(
        operation_id="hospital_list",
        parameters=[FilterSerializer],
        responses={
            200: paginated_schema("HospitalListPage", OutputSerializer),
            **error_responses(400, 404),
            **_BAD_TOKEN,
        },
    )
    def get(self, request: Request) -> Response:
        def build() -> dict:
            filters = self.FilterSerializer(data=request.query_params)
            filters.is_valid(raise_exception=True)
            hospitals = hospital_list(
                q=filters.validated_data.get("q", ""),
                level=filters.validated_data.get("level", ""),
                region=filters.validated_data.get("region", ""),
            )
            return get_paginated_response(
                serializer_class=self.OutputSerializer,
                queryset=hospitals,
                request=request,
                view=self,
            ).data

        return self.cached_answer(build)


class HospitalDetailApi(CatalogApi):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = (
                "HospitalDetail"  # the API docs' name; every view has an "Output"
            )

        id = serializers.IntegerField()
        name = serializers.CharField()
        level = serializers.CharField()
        level_display = serializers.CharField(source="get_level_display")
        region = serializers.CharField()
        address = serializers.CharField()
        phone = serializers.CharField()
        introduction = serializers.CharField()
        logo_url = serializers.CharField()
        departments = DepartmentTreeOutputSerializer(
            source="top_departments", many=True
        )

    @extend_schema(
        operation_id="hospital_detail",
        responses={200: OutputSerializer, 404: _NOT_FOUND, **_BAD_TOKEN},
    )
    def get(self, request: Request, hospital_id: int) -> Response:
        def build() -> dict:
            hospital = hospital_get_for_patient(hospital_id=hospital_id)
            return self.OutputSerializer(hospital).data

        return self.cached_answer(build)


class DoctorCardSerializer(serializers.Serializer):
    """A doctor as a list shows them (a department's doctors, a doctor search)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    title_display = serializers.CharField(source="get_title_display")
    specialty = serializers.CharField()
    photo_url = serializers.CharField()
    fee = serializers.IntegerField(help_text=_("Registration fee in fen."))
    department_id = serializers.IntegerField()
    department_name = serializers.CharField(source="department.name")


class DepartmentDoctorListApi(CatalogApi):
    """Doctors of a department; a top-level department lists its clinics' doctors too."""

    class FilterSerializer(PageQuerySerializer):
        pass

    class OutputSerializer(DoctorCardSerializer):
        class Meta:
            ref_name = (
                "DepartmentDoctor"  # the API docs' name; every view has an "Output"
            )

    @extend_schema(
        operation_id="department_doctor_list",
        parameters=[FilterSerializer],
        responses={
            200: paginated_schema("DepartmentDoctorPage", OutputSerializer),
            **error_responses(400),
            404: _NOT_FOUND,
            **_BAD_TOKEN,
        },
    )
    def get(self, request: Request, department_id: int) -> Response:
        def build() -> dict:
            self.FilterSerializer(data=request.query_params).is_valid(
                raise_exception=True
            )
            department = department_get_for_patient(department_id=department_id)
            return get_paginated_response(
                serializer_class=self.OutputSerializer,
                queryset=doctor_list_for_department(department=department),
                request=request,
                view=self,
            ).data

        return self.cached_answer(build)


class DoctorDetailApi(CatalogApi):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DoctorDetail"  # the API docs' name; every view has an "Output"

        id = serializers.IntegerField()
        name = serializers.CharField()
        title = serializers.CharField()
        title_display = serializers.CharField(source="get_title_display")
        specialty = serializers.CharField()
        introduction = serializers.CharField()
        photo_url = serializers.CharField()
        fee = serializers.IntegerField(help_text=_("Registration fee in fen."))
        hospital_id = serializers.IntegerField()
        hospital_name = serializers.CharField(source="hospital.name")
        department_id = serializers.IntegerField()
        department_name = serializers.CharField(source="department.name")

    @extend_schema(
        operation_id="doctor_detail",
        responses={200: OutputSerializer, 404: _NOT_FOUND, **_BAD_TOKEN},
    )
    def get(self, request: Request, doctor_id: int) -> Response:
        def build() -> dict:
            doctor = doctor_get_for_patient(doctor_id=doctor_id)
            return self.OutputSerializer(doctor).data

        return self.cached_answer(build)
