from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    """Django's admin, with our site as the default `admin.site`."""

    default_site = "config.admin_site.PlatformAdminSite"
