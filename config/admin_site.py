"""The admin site: titles in the platform's name and the request's language, and staff login.

Installed as the default site (config.apps.PlatformAdminConfig), so every app's
`@admin.register` lands here. Today's figures on the index come from a template tag
(analytics/templatetags/analytics_admin.py, used by templates/admin/index.html): this module
is imported while the apps register their admins, so it imports none of them.

Staff login: the password goes through django-axes (settings AXES_*: lockout per username
and per IP), and with settings.STAFF_REQUIRE_OTP the login form also asks for the code of
the staff member's TOTP device (django-otp); a session that has not passed it is treated
as having no admin access.
"""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext_lazy
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

# Strings of Django's admin templates that its zh_Hans catalog lacks (Django 5.2): the
# screen-reader headers of the app list. Named here so makemessages keeps our translations.
DJANGO_ADMIN_STRINGS_MISSING_IN_CHINESE = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)
# django-axes has no Chinese catalog: the words of its admin (login lockout), kept here.
AXES_ADMIN_STRINGS = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Failed Logins"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
)


class StaffOtpLoginForm(OTPAdminAuthenticationForm):
    """The admin login with a TOTP code; django-otp's messages in our words (and catalog)."""

    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": gettext_lazy(
            "Enter the 6-digit code from your authenticator app."
        ),
        "invalid_token": gettext_lazy(
            "The code is not correct. Check the time on your phone and try again."
        ),
        "n_failed_attempts": ngettext_lazy(
            "Codes are refused for a while after %(failure_count)d wrong code, "
            "please try again soon.",
            "Codes are refused for a while after %(failure_count)d wrong codes, "
            "please try again soon.",
            "failure_count",
        ),
        "verification_not_allowed": gettext_lazy(
            "Codes are not accepted at the moment, please try again soon."
        ),
        "device_required": gettext_lazy(
            "This account has no authenticator set up; ask a platform "
            "administrator to add one."
        ),
    }

    def _chosen_device(self, user):
        """The device the code is for: the authenticator app for 6 digits, else a one-time
        recovery code (django-otp's static device). The form has no device list to pick from."""
        chosen = super()._chosen_device(user)
        if chosen is not None:
            return chosen
        token = self.cleaned_data.get("otp_token") or ""
        is_totp = len(token) == 6 and token.isascii() and token.isdigit()
        kind = TOTPDevice if is_totp else StaticDevice
        return kind.objects.devices_for_user(user, confirmed=True).first()


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

    # Read on every login, so the setting decides (and tests may override it).
    @property
    def login_form(self):  # type: ignore[override]
        return StaffOtpLoginForm if settings.STAFF_REQUIRE_OTP else None

    @property
    def login_template(self):  # type: ignore[override]
        return "admin/otp_login.html" if settings.STAFF_REQUIRE_OTP else None

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff; with STAFF_REQUIRE_OTP, only once this session passed a TOTP code."""
        if not super().has_permission(request):
            return False
        return not settings.STAFF_REQUIRE_OTP or request.user.is_verified()
