"""Online consults in the admin (在线问诊), each page scoped to the staff member's hospital:
the doctors' offers (edited through consult.services.offers), the consults with their
messages (read-only; the text only with the permission to read it, each reading logged),
and the queue of reported messages (decided through consult.services.reports)."""

from consult.admin.consults import ConsultAccessAdmin, ConsultAdmin
from consult.admin.offers import ConsultOfferAdmin
from consult.admin.reports import MessageReportAdmin

__all__ = [
    "ConsultAccessAdmin",
    "ConsultAdmin",
    "ConsultOfferAdmin",
    "MessageReportAdmin",
]
