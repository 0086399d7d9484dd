"""Readable labels of the operation-log action codes the consult services write."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "consult.create": _("Online consult created"),
    "consult.close": _("Online consult closed"),
    "consult.cancel": _("Online consult cancelled"),
    "consult.paid": _("Online consult paid"),
    "consult.expire": _("Unpaid online consult cancelled"),
    "consult.rate": _("Online consult rated"),
    "consult.message_recall": _("Consult message recalled"),
    "consult.offer_set": _("Online consult offer changed"),
    "consult.image_upload": _("Consult image uploaded"),
    "consult.advice": _("Online consult advice written"),
    "consult.message_report": _("Consult message reported"),
    "consult.report_upheld": _("Consult message report upheld"),
    "consult.report_dismissed": _("Consult message report dismissed"),
    "consult.message_hide": _("Consult message hidden"),
}
