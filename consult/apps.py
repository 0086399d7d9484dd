from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, role_grant
from common.action_labels import action_labels_register
from common.events import Phase, subscribe
from common.key_rotation import EncryptedFiles, register_encrypted_files
from common.periodic import periodic_jobs_register
from consult.action_labels import ACTION_LABELS
from consult.events import (
    ConsultMessageRecalled,
    ConsultMessageSent,
    ConsultStatusChanged,
)
from consult.periodic import PERIODIC_JOBS


class ConsultConfig(AppConfig):
    name = "consult"
    verbose_name = _("Online consultation")

    def ready(self) -> None:
        from billing.models import PaymentOrder
        from billing.payables import payable_register
        from common.encrypted import register
        from consult import models, realtime
        from consult.services.image_rotation import (
            image_rotation_batch,
            image_rotation_pending_count,
        )
        from consult.services.payment import ConsultPayable

        action_labels_register(ACTION_LABELS)
        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)
        register(models.Consult)
        register(models.ConsultMessage)
        register_encrypted_files(
            EncryptedFiles(
                label="consult.ConsultImage files",
                pending_count=image_rotation_pending_count,
                rotate_batch=image_rotation_batch,
            )
        )
        # Billing sells consults through its orders and reaches them only through this.
        payable_register(PaymentOrder.Kind.CONSULT, ConsultPayable())
        # The admin (consult/admin/): hospital staff edit their doctors' offers, see their
        # hospital's consults (without the text) and decide the reported messages. The
        # text of whole consults is for those given `view_consult_text` (platform admins
        # by role; anyone else through a group a superuser hands out).
        staff = [
            "consult.view_consultoffer",
            "consult.add_consultoffer",
            "consult.change_consultoffer",
            "consult.view_consult",
            "consult.view_consultmessage",
            "consult.view_messagereport",
            "consult.change_messagereport",
        ]
        role_grant(role=Role.HOSPITAL_STAFF, permissions=staff)
        role_grant(
            role=Role.PLATFORM_ADMIN,
            permissions=[
                *staff,
                "consult.view_consult_text",
                "consult.view_consultaccess",
            ],
        )
        # The live frames leave after commit (consult/realtime.py), whichever path wrote.
        subscribe(
            ConsultMessageSent, realtime.message_sent_publish, when=Phase.ON_COMMIT
        )
        subscribe(
            ConsultMessageRecalled,
            realtime.message_recalled_publish,
            when=Phase.ON_COMMIT,
        )
        subscribe(
            ConsultStatusChanged, realtime.status_changed_publish, when=Phase.ON_COMMIT
        )
