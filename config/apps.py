from axes.apps import AppConfig as AxesAppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.apps import DefaultConfig as OtpStaticConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as OtpTotpConfig


class PlatformAdminConfig(AdminConfig):
    """Django's admin, with our site as the default `admin.site`."""

    default_site = "config.admin_site.PlatformAdminSite"


# The login-security apps under names staff understand, in the admin's language.
class LoginLockoutConfig(AxesAppConfig):
    verbose_name = _("Login lockout")


class AuthenticatorConfig(OtpTotpConfig):
    verbose_name = _("Authenticator apps (second factor)")


class RecoveryCodesConfig(OtpStaticConfig):
    verbose_name = _("One-time recovery codes")
