"""What each staff role may do in the admin.

A role brings its permissions: a new hospital staff account can work as soon as it is
saved, with no permission group to add by hand. Each app declares the permissions on its
own models in its AppConfig.ready (so accounts never names a higher app's models):

    role_grant(role=User.Role.HOSPITAL_STAFF, permissions=["billing.view_refund", ...])

RolePermissionBackend (in AUTHENTICATION_BACKENDS beside ModelBackend) answers Django's
permission questions from this table. Groups and per-user permissions still work on top,
for exceptions a superuser hands out. Row scope (one hospital) is not a permission: the
admin's HospitalScopedAdminMixin applies it.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.backends import BaseBackend

_GRANTS: dict[str, set[str]] = defaultdict(set)


def role_grant(*, role: str, permissions: Iterable[str]) -> None:
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


class RolePermissionBackend(BaseBackend):
    """Permissions that come with an active staff member's role. Authenticates nobody."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if obj is not None:
            return set()
        if not (user_obj.is_active and user_obj.is_staff):
            return set()
        return set(role_permissions(getattr(user_obj, "role", "")))

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        prefix = f"{app_label}."
        return any(p.startswith(prefix) for p in self.get_all_permissions(user_obj))
