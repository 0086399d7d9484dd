"""Admin pieces shared by every app, and the read-only audit log.

The pieces live by concern; import them from here:
- common.admin_scoping: hospital scoping for staff (HospitalScopedAdminMixin,
  user_sees_every_hospital) and pages for the platform only (PlatformOnlyMixin);
- common.admin_readonly: read-only pages (ReadOnlyAdminMixin, ScopedReadOnlyAdmin,
  PlatformReadOnlyAdmin);
- common.admin_history: the 历史 page from the operation log;
- common.admin_services: saves and actions that call services (ServiceCheckedForm,
  ServiceAdminMixin, run_service_action, report_refusal).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.action_labels import action_label, summary_display
from common.admin_history import (
    HistoryEntry,
    OperationLogActionFilter,
    OperationLogHistoryMixin,
    operation_log_about,
    operation_log_message,
)
from common.admin_readonly import (
    PlatformReadOnlyAdmin,
    ReadOnlyAdminMixin,
    ScopedReadOnlyAdmin,
)
from common.admin_scoping import (
    HospitalScopedAdminMixin,
    PlatformOnlyMixin,
    user_sees_every_hospital,
)
from common.admin_services import (
    ServiceAdminMixin,
    ServiceCheckedForm,
    report_refusal,
    run_service_action,
)
from common.models import OperationLog

__all__ = [
    "HistoryEntry",
    "HospitalScopedAdminMixin",
    "OperationLogActionFilter",
    "OperationLogAdmin",
    "OperationLogHistoryMixin",
    "PlatformOnlyMixin",
    "PlatformReadOnlyAdmin",
    "ReadOnlyAdminMixin",
    "ScopedReadOnlyAdmin",
    "ServiceAdminMixin",
    "ServiceCheckedForm",
    "operation_log_about",
    "operation_log_message",
    "report_refusal",
    "run_service_action",
    "user_sees_every_hospital",
]


@admin.register(OperationLog)
class OperationLogAdmin(PlatformReadOnlyAdmin):
    """The audit trail: read-only, for superusers and platform admins only.

    Log rows carry no hospital, so hospital staff cannot be limited to their own rows and
    get no access at all.
    """

    list_display = (
        "created_at",
        "action_display",
        "object_type",
        "object_id",
        "actor",
        "ip",
        "summary_display",
    )
    # No date_hierarchy: it needs the database's time-zone tables on MySQL/MariaDB.
    list_filter = (OperationLogActionFilter, "object_type", "created_at")
    search_fields = ("action", "object_type", "object_id", "summary", "ip")
    list_select_related = ("actor",)
    raw_id_fields = ("actor",)
    fields = (
        "created_at",
        "actor",
        "action_display",
        "object_type",
        "object_id",
        "summary_display",
        "ip",
    )

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, obj: OperationLog) -> str:
        return action_label(obj.action)

    @admin.display(description=_("summary"))
    def summary_display(self, obj: OperationLog) -> str:
        return summary_display(obj.summary)
