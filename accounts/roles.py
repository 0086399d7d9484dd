"""What each staff role may do in the admin.

A role brings its permissions: a new hospital staff account can work as soon as it is
saved, with no permission group to add by hand. Each app declares the permissions on its
own models in its AppConfig.ready (so accounts never names a higher app's models):

    role_grant(role=Role.HOSPITAL_STAFF, permissions=["billing.view_refund", ...])

accounts.backends.RolePermissionBackend (in AUTHENTICATION_BACKENDS beside ModelBackend)
answers Django's
permission questions from this table. Groups and per-user permissions still work on top,
for exceptions a superuser hands out. Row scope (one hospital) is not a permission: the
admin's HospitalScopedAdminMixin applies it.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Who someone is on the platform (User.role). Defined here, not on the model, so that
    apps can name roles while Django is still loading (AppConfig.ready needs no import)."""

    PATIENT = "patient", _("Patient")
    DOCTOR = "doctor", _("Doctor")
    HOSPITAL_STAFF = "hospital_staff", _("Hospital staff")
    PLATFORM_ADMIN = "platform_admin", _("Platform admin")


_GRANTS: dict[str, set[str]] = defaultdict(set)


def role_grant(*, role: Role, permissions: Iterable[str]) -> None:
    """Give `role` the permissions ("app_label.codename"); call from AppConfig.ready."""
    for permission in permissions:
        app_label, _, codename = permission.partition(".")
        if not app_label or not codename:
            raise ValueError(
                f"permission {permission!r}: expected 'app_label.codename'"
            )
        _GRANTS[role].add(permission)


def role_permissions(role: str) -> frozenset[str]:
    return frozenset(_GRANTS.get(role, ()))


def role_permissions_all() -> dict[str, frozenset[str]]:
    """Every declared grant, for the checks that each names a real permission."""
    return {role: frozenset(perms) for role, perms in _GRANTS.items()}
