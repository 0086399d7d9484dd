"""The analytics pages inside the admin (queue model, clinic simulation, dashboards).

Mounted by config/urls.py under admin/analytics/, before the admin's own URLs; each view
is wrapped in the admin site's `admin_view` so it has the admin's login, second factor and
chrome.
"""

from django.contrib import admin
from django.urls import path

from analytics.admin_pages import dashboards
from analytics.admin_pages.queue import queue_page
from analytics.admin_pages.simulation import simulation_page

app_name = "analytics_admin"
urlpatterns: list = [
    path("queue/", admin.site.admin_view(queue_page), name="queue"),
    path("simulation/", admin.site.admin_view(simulation_page), name="simulation"),
    path(
        "dashboards/",
        admin.site.admin_view(dashboards.dashboards_home),
        name="dashboards",
    ),
    path(
        "dashboards/<slug:page>/",
        admin.site.admin_view(dashboards.dashboard_page),
        name="dashboard_page",
    ),
    path(
        "dashboards/<slug:page>/<slug:chart>.csv",
        admin.site.admin_view(dashboards.dashboard_csv),
        name="dashboard_csv",
    ),
]
