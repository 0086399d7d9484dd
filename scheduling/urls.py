from django.urls import path, register_converter

from scheduling.apis import DoctorSessionListApi, SessionDetailApi
from scheduling.doctor_search_api import DoctorSearchApi


class IdConverter:
    """A positive database id. Longer numbers than a 64-bit key holds do not match (404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "scheduling_id")

app_name = "scheduling"
urlpatterns = [
    path("doctors/search/", DoctorSearchApi.as_view(), name="doctor-search"),
    path(
        "doctors/<scheduling_id:doctor_id>/sessions/",
        DoctorSessionListApi.as_view(),
        name="doctor-sessions",
    ),
    path(
        "sessions/<scheduling_id:session_id>/",
        SessionDetailApi.as_view(),
        name="session-detail",
    ),
]
