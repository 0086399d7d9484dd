"""The admin site: titles in the platform's name and the request's language.

Installed as the default site (config.apps.PlatformAdminConfig), so every app's
`@admin.register` lands here. Today's figures on the index come from a template tag
(analytics/templatetags/analytics_admin.py, used by templates/admin/index.html): this module
is imported while the apps register their admins, so it imports none of them.
"""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext as _


class PlatformAdminSite(admin.AdminSite):
    site_url = "/"  # "View site" opens the front door

    @property
    def site_header(self) -> str:  # type: ignore[override]
        return _("%(platform)s administration") % {"platform": settings.PLATFORM_NAME}

    @property
    def site_title(self) -> str:  # type: ignore[override]
        return _("%(platform)s admin") % {"platform": settings.PLATFORM_NAME}

    @property
    def index_title(self) -> str:  # type: ignore[override]
        return _("Workbench")
