"""The rush benchmark's own routes, only while settings.BENCHMARK_BASELINE_ENDPOINT is on.

config/urls.py includes this module under api/v1/benchmarks/; with the setting off (always,
outside the benchmark's own server) it routes nothing. With it on: the naive baseline
booking endpoint (benchmarks/rush/baseline.py) and the plain Django JSON ceiling
(benchmarks/rush/ceiling.py).
"""

from django.conf import settings
from django.urls import path

from benchmarks.rush.baseline import AppointmentBookNaiveApi
from benchmarks.rush.ceiling import json_ceiling

app_name = "benchmarks"
urlpatterns = []

if settings.BENCHMARK_BASELINE_ENDPOINT:
    urlpatterns += [
        path("book-naive/", AppointmentBookNaiveApi.as_view(), name="book-naive"),
        path("ceiling/", json_ceiling, name="ceiling"),
    ]
