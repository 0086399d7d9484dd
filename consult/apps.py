from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from common.action_labels import action_labels_register
from common.key_rotation import EncryptedFiles, register_encrypted_files
from common.periodic import periodic_jobs_register
from consult.action_labels import ACTION_LABELS
from consult.periodic import PERIODIC_JOBS


class ConsultConfig(AppConfig):
    name = "consult"
    verbose_name = _("Online consultation")

    def ready(self) -> None:
        from billing.models import PaymentOrder
        from billing.payables import payable_register
        from common.encrypted import register
        from consult import models
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
