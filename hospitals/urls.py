from django.urls import path

from hospitals.apis import (
    DepartmentDoctorListApi,
    DoctorDetailApi,
    HospitalDetailApi,
    HospitalListApi,
)

app_name = "hospitals"
urlpatterns = [
    path("", HospitalListApi.as_view(), name="list"),
    path("<int:hospital_id>/", HospitalDetailApi.as_view(), name="detail"),
    path(
        "departments/<int:department_id>/doctors/",
        DepartmentDoctorListApi.as_view(),
        name="department-doctors",
    ),
    path("doctors/<int:doctor_id>/", DoctorDetailApi.as_view(), name="doctor-detail"),
]
