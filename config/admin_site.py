"""The admin site: titles in the platform's name and the request's language.

Installed as the default site (config.apps.PlatformAdminConfig), so every app's
`@admin.register` lands here. Today's figures on the index come from a template tag
(analytics/templatetags/analytics_admin.py, used by templates/admin/index.html): this module
is imported while the apps register their admins, so it imports none of them.
"""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# Strings of Django's admin templates that its zh_Hans catalog lacks (Django 5.2): the
# screen-reader headers of the app list. Named here so makemessages keeps our translations.
DJANGO_ADMIN_STRINGS_MISSING_IN_CHINESE = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)


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
