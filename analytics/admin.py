"""The no-show model and imported history in the admin (platform admins only).

Models are listed with their metrics; a model's page shows its rules and its drawn tree
(and the fair model's). The only change is the "activate" action, through the service,
which writes the operation log. Imports and imported visits are read-only.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from analytics.ml.drawing import tree_svg
from analytics.ml.rules import feature_label, rules
from analytics.models import HistoryImport, HistoryVisit, NoShowModel
from analytics.noshow.services import noshow_model_activate
from common.admin import PlatformReadOnlyAdmin, run_service_action
from common.admin_readonly import ReadOnlyAdminMixin
from common.admin_scoping import PlatformOnlyMixin
from common.services import Actor


@admin.register(HistoryImport)
class HistoryImportAdmin(PlatformReadOnlyAdmin):
    list_display = (
        "imported_at",
        "format",
        "file_name",
        "row_count",
        "created_rows",
        "existing_rows",
        "skipped_count",
        "first_visit",
        "last_visit",
        "imported_by",
    )
    list_filter = ("format", "imported_at")
    search_fields = ("file_name", "file_sha256")
    list_select_related = ("imported_by",)
    raw_id_fields = ("imported_by",)

    @admin.display(description=_("skipped rows"))
    def skipped_count(self, obj: HistoryImport) -> int:
        return len(obj.skipped_rows)


@admin.register(HistoryVisit)
class HistoryVisitAdmin(PlatformReadOnlyAdmin):
    list_display = (
        "visit_date",
        "source",
        "row_key",
        "department",
        "sex",
        "age",
        "booked_at",
        "attended",
        "reminder_sent",
    )
    list_filter = ("source", "attended", "reminder_sent", "visit_date")
    search_fields = ("row_key", "department")
    list_select_related = ("history_import",)
    raw_id_fields = ("history_import",)
    show_full_result_count = False


def _metric(obj: NoShowModel, key: str) -> Any:
    value = obj.metrics.get(key)
    return "-" if value is None else value


@admin.register(NoShowModel)
class NoShowModelAdmin(ReadOnlyAdminMixin, PlatformOnlyMixin, admin.ModelAdmin):
    list_display = (
        "version",
        "data_source",
        "data_from",
        "data_to",
        "test_from",
        "roc_auc",
        "pr_auc",
        "brier",
        "fair_roc_auc",
        "is_active",
        "trained_at",
        "trained_by",
    )
    list_filter = ("data_source", "is_active")
    search_fields = ("version", "file_sha256")
    list_select_related = ("trained_by",)
    raw_id_fields = ("trained_by",)
    actions = ["activate"]
    fields = (
        "version",
        "is_active",
        "activated_at",
        "data_source",
        "data_from",
        "data_to",
        "test_from",
        "metrics_display",
        "threshold_medium",
        "threshold_high",
        "params",
        "features_display",
        "rules_display",
        "tree_display",
        "fair_rules_display",
        "fair_tree_display",
        "file_name",
        "file_sha256",
        "trained_at",
        "trained_by",
    )

    @admin.display(description=_("ROC AUC (test days)"))
    def roc_auc(self, obj: NoShowModel) -> Any:
        return _metric(obj, "roc_auc")

    @admin.display(description=_("PR AUC (test days)"))
    def pr_auc(self, obj: NoShowModel) -> Any:
        return _metric(obj, "pr_auc")

    @admin.display(description=_("Brier score (test days)"))
    def brier(self, obj: NoShowModel) -> Any:
        return _metric(obj, "brier")

    @admin.display(description=_("fair model ROC AUC"))
    def fair_roc_auc(self, obj: NoShowModel) -> Any:
        return _metric(obj, "fair_roc_auc")

    @admin.display(description=_("metrics on the test days"))
    def metrics_display(self, obj: NoShowModel) -> str:
        labels = {
            "roc_auc": gettext("ROC AUC (test days)"),
            "pr_auc": gettext("PR AUC (test days)"),
            "brier": gettext("Brier score (test days)"),
            "precision_at_high": gettext("precision at the high-risk threshold"),
            "recall_at_high": gettext("recall at the high-risk threshold"),
            "flagged_high_share": gettext("share flagged high risk"),
            "no_show_rate": gettext("no-show rate"),
            "train_rows": gettext("training rows"),
            "test_rows": gettext("test rows"),
            "validation_roc_auc": gettext("validation ROC AUC"),
            "fair_roc_auc": gettext("fair model ROC AUC"),
            "fair_pr_auc": gettext("fair model PR AUC"),
            "fair_brier": gettext("fair model Brier"),
            "holiday_fallback_days": gettext("visits outside the holiday calendar"),
        }
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td></tr>",
                ((label, _metric(obj, key)) for key, label in labels.items()),
            ),
        )

    @admin.display(description=_("features"))
    def features_display(self, obj: NoShowModel) -> str:
        return "、".join(feature_label(name) for name in obj.features)

    def _rules(self, structure: dict) -> str:
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "", "<li>{}</li>", ((str(rule),) for rule in rules(structure))
            ),
        )

    def _tree(self, obj: NoShowModel, structure: dict) -> str:
        thresholds = {"medium": obj.threshold_medium, "high": obj.threshold_high}
        # tree_svg escapes every text it draws; the rest is markup built from numbers.
        svg = mark_safe(tree_svg(structure, thresholds))  # noqa: S308
        return format_html('<div style="overflow:auto;max-width:100%">{}</div>', svg)

    @admin.display(description=_("rules"))
    def rules_display(self, obj: NoShowModel) -> str:
        return self._rules(obj.tree)

    @admin.display(description=_("tree"))
    def tree_display(self, obj: NoShowModel) -> str:
        return self._tree(obj, obj.tree)

    @admin.display(description=_("rules of the fair model (no sex or age)"))
    def fair_rules_display(self, obj: NoShowModel) -> str:
        return self._rules(obj.fair_tree)

    @admin.display(description=_("tree of the fair model"))
    def fair_tree_display(self, obj: NoShowModel) -> str:
        return self._tree(obj, obj.fair_tree)

    @admin.action(description=_("Activate the selected model"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet) -> None:
        if queryset.count() != 1:
            self.message_user(
                request,
                gettext("Select exactly one model to activate."),
                messages.ERROR,
            )
            return
        actor = Actor.from_request(request)
        run_service_action(
            self,
            request,
            queryset,
            lambda model: noshow_model_activate(model=model, actor=actor),
            row_success=lambda model: (
                gettext("Version %(version)s is now active.")
                % {"version": model.version}
            ),
        )
