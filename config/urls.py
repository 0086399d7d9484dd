from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from common.apis import HealthApi
from common.metrics_endpoint import metrics_view
from config.views import home

api_v1 = [
    path("accounts/", include("accounts.urls")),
    path("hospitals/", include("hospitals.urls")),
    path("scheduling/", include("scheduling.urls")),
    path("appointments/", include("appointments.urls")),
    path("billing/", include("billing.urls")),
    path("records/", include("records.urls")),
    path("consult/", include("consult.urls")),
    # Routes nothing unless settings.BENCHMARK_BASELINE_ENDPOINT (the rush benchmark's server).
    path("benchmarks/", include("benchmarks.rush.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    # The analytics pages in the admin (queue model, simulation, dashboards): before the
    # admin's own URLs, whose catch-all would answer them with its 404.
    path("admin/analytics/", include("analytics.admin_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema"),
        name="swagger-ui",
    ),
    path("health/", HealthApi.as_view(), name="health"),
    # Prometheus's scrape: a token or an allowed network, else 403 (404 when not set up)
    path("metrics", metrics_view, name="metrics"),
    # The waiting-room screens (appointments.screen: signed links, no login on the TV)
    path("screen/", include("appointments.screen_urls")),
    # The doctors' workspace pages (records.workspace: signed in through the admin login);
    # its online consult pages are consult's (consult.workspace), under the same login
    path("workspace/consults/", include("consult.workspace.urls")),
    path("workspace/", include("records.workspace.urls")),
    # The patient portal (H5): server-rendered pages for browsers outside WeChat
    path("h5/", include("config.portal.urls")),
]

handler400 = "common.api.bad_request_view"
handler404 = "common.api.not_found_view"
handler500 = "common.api.server_error_view"
