"""The permission backend that gives a staff member what their role brings (accounts.roles)."""

from typing import Any

from django.contrib.auth.backends import BaseBackend

from accounts.roles import role_permissions


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
