from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, role_grant
from analytics.action_labels import ACTION_LABELS
from common.action_labels import action_labels_register


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        action_labels_register(ACTION_LABELS)
        # The no-show model and imported history are the platform's, not a hospital's.
        role_grant(
            role=Role.PLATFORM_ADMIN,
            permissions=[
                "analytics.view_historyimport",
                "analytics.view_historyvisit",
                "analytics.view_noshowmodel",
                "analytics.change_noshowmodel",
            ],
        )
