"""GET /api/v1/scheduling/doctors/search/: find a doctor by name, department, specialty,
title, clinic type or free seats on a date. No login needed, like the catalog.

Answers are the catalog's (hospitals.catalog_api): rendered JSON under the
catalog's version, so a doctor or hospital the catalog stops showing leaves the search at
once. A search that reads the schedule (clinic type, free seats) is kept only
AVAILABILITY_CACHE_SECONDS: bookings, stops and releases do not bump the catalog's
version, and at the rush's rate of bookings a version of their own would never hold.
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import PageQuerySerializer, get_paginated_response, paginated_schema
from common.schema import error_responses
from hospitals.apis import DoctorCardSerializer
from hospitals.catalog_api import CatalogApi
from hospitals.models import Doctor
from scheduling.doctor_search import doctor_search_for_patient
from scheduling.models import ClinicType

# Primary keys are BigAutoFields; a larger number cannot name a row.
_MAX_ID = 2**63 - 1


class DoctorSearchApi(CatalogApi):
    """Doctors patients may see, filtered; every filter given must match."""

    cache_prefix = "scheduling:doctor-search"

    class FilterSerializer(PageQuerySerializer):
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=50,
            help_text="Part of the doctor's name, specialty or department name.",
        )
        hospital = serializers.IntegerField(
            required=False, min_value=1, max_value=_MAX_ID
        )
        department = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=_MAX_ID,
            help_text="A department; a top-level one includes its clinics.",
        )
        title = serializers.ChoiceField(
            choices=Doctor.Title.choices, required=False, allow_blank=True
        )
        clinic_type = serializers.ChoiceField(
            choices=ClinicType.choices,
            required=False,
            allow_blank=True,
            help_text=(
                "expert (专家门诊), specialist (专科门诊) or general (普通门诊): "
                "doctors holding such sessions (on has_seats_on's date if given)."
            ),
        )
        has_seats_on = serializers.DateField(
            required=False,
            input_formats=["%Y-%m-%d"],
            help_text=(
                "YYYY-MM-DD: only doctors with a released, open session that day "
                "with a free seat."
            ),
        )

    class OutputSerializer(DoctorCardSerializer):
        class Meta:
            ref_name = "DoctorSearchItem"  # the API docs' name

        hospital_id = serializers.IntegerField()
        hospital_name = serializers.CharField(source="hospital.name")

    @extend_schema(
        operation_id="doctor_search",
        parameters=[FilterSerializer],
        responses={
            200: paginated_schema("DoctorSearchPage", OutputSerializer),
            **error_responses(400, 401, 404),
        },
    )
    def get(self, request: Request) -> Response:
        def build() -> dict:
            filters = self.FilterSerializer(data=request.query_params)
            filters.is_valid(raise_exception=True)
            data = filters.validated_data
            doctors = doctor_search_for_patient(
                q=data.get("q", ""),
                hospital_id=data.get("hospital"),
                department_id=data.get("department"),
                title=data.get("title", ""),
                clinic_type=data.get("clinic_type", ""),
                has_seats_on=data.get("has_seats_on"),
            )
            return get_paginated_response(
                serializer_class=self.OutputSerializer,
                queryset=doctors,
                request=request,
                view=self,
            ).data

        # Read from the raw parameters: an answer is stored only once they are valid, and
        # a valid clinic_type or has_seats_on is given exactly when it is not blank.
        params = request.query_params
        reads_schedule = bool(params.get("clinic_type") or params.get("has_seats_on"))
        seconds = (
            settings.AVAILABILITY_CACHE_SECONDS
            if reads_schedule
            else settings.CATALOG_CACHE_SECONDS
        )
        return self.cached_answer(build, seconds=seconds)
