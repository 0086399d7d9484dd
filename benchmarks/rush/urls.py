"""The naive baseline endpoint, routed only while settings.BENCHMARK_BASELINE_ENDPOINT is on.

config/urls.py includes this module under api/v1/benchmarks/; with the setting off (always,
outside the benchmark's own server) it routes nothing.
"""

from django.conf import settings
from django.urls import path

from benchmarks.rush.baseline import AppointmentBookNaiveApi

app_name = "benchmarks"
urlpatterns = []

if settings.BENCHMARK_BASELINE_ENDPOINT:
    urlpatterns.append(
        path("book-naive/", AppointmentBookNaiveApi.as_view(), name="book-naive")
    )
