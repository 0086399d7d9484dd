"""Labels of analytics' operation-log action codes (registered in AnalyticsConfig.ready)."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "history.imported": _("History file imported"),
    "noshow_model.trained": _("No-show model trained"),
    "noshow_model.activated": _("No-show model activated"),
}
