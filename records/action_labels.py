"""Readable labels of the operation-log action codes the records services write."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "record.draft_saved": _("Medical record draft saved"),
    "record.signed": _("Medical record signed"),
    "record.auto_locked": _("Medical record locked automatically"),
    "record.corrected": _("Medical record corrected"),
    "report.added": _("Report added"),
    "record.consult_advice": _("Online consult advice written"),
}
