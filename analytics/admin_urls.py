"""The analytics pages inside the admin (queue model, clinic simulation, dashboards).

Mounted by config/urls.py under admin/analytics/, before the admin's own URLs; each view
is wrapped in the admin site's `admin_view` so it has the admin's login, second factor and
chrome.
"""

app_name = "analytics_admin"
urlpatterns: list = []
