from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.action_labels import ACTION_LABELS
from accounts.periodic import PERIODIC_JOBS
from accounts.roles import Role, role_grant
from common.action_labels import action_labels_register
from common.periodic import periodic_jobs_register


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and patients")

    def ready(self) -> None:
        action_labels_register(ACTION_LABELS)
        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)
        # Hospital staff onboard their own hospital's doctors and colleagues (a doctor's
        # page links a doctor account). The user admin keeps them inside their hospital,
        # offers only the doctor and staff roles, and never lets them hand out superuser
        # status, groups or permissions. Patients' profiles are personal data of people
        # who are not the hospital's until they book: staff see a patient through the
        # appointment, not here.
        role_grant(
            role=Role.HOSPITAL_STAFF,
            permissions=[
                "accounts.view_user",
                "accounts.add_user",
                "accounts.change_user",
            ],
        )
        # Doctors need nothing here: they change their own password from the admin's
        # own page, which needs no permission.
        # Platform admins look after every account, the patients' profiles (masked) and
        # the membership table; the ledger and the late cancels are history, read only.
        role_grant(
            role=Role.PLATFORM_ADMIN,
            permissions=[
                "accounts.view_user",
                "accounts.add_user",
                "accounts.change_user",
                "accounts.view_patientprofile",
                "accounts.change_patientprofile",
                "accounts.view_memberlevel",
                "accounts.add_memberlevel",
                "accounts.change_memberlevel",
                "accounts.view_pointsentry",
                "accounts.view_latecanceluse",
            ],
        )
        # Platform admins unlock locked-out logins (django-axes: delete the access
        # attempts) and set up staff members' authenticators (django-otp TOTP devices;
        # static one-time codes for someone who lost their phone).
        role_grant(
            role=Role.PLATFORM_ADMIN,
            permissions=[
                "axes.view_accessattempt",
                "axes.delete_accessattempt",
                "axes.view_accesslog",
                "otp_totp.view_totpdevice",
                "otp_totp.add_totpdevice",
                "otp_totp.change_totpdevice",
                "otp_totp.delete_totpdevice",
                "otp_static.view_staticdevice",
                "otp_static.add_staticdevice",
                "otp_static.change_staticdevice",
                "otp_static.delete_staticdevice",
            ],
        )
        # The OpenAPI extension for our JWT authentication class registers itself on
        # import; it needs the models.
        from accounts import schema  # noqa: F401
