from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, role_grant
from common.action_labels import action_labels_register
from common.key_rotation import EncryptedFiles, register_encrypted_files
from common.periodic import periodic_jobs_register
from records.action_labels import ACTION_LABELS
from records.periodic import PERIODIC_JOBS


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = _("Medical records")

    def ready(self) -> None:
        from records import encrypted, models
        from records.services.attachment_rotation import (
            attachment_rotation_batch,
            attachment_rotation_pending_count,
        )

        action_labels_register(ACTION_LABELS)
        periodic_jobs_register(*PERIODIC_JOBS, app=self.name)
        for model in (models.RecordVersion, models.Report, models.Attachment):
            encrypted.register(model)
        register_encrypted_files(
            EncryptedFiles(
                label="records.Attachment files",
                pending_count=attachment_rotation_pending_count,
                rotate_batch=attachment_rotation_batch,
            )
        )
        # The admin shows records read-only (writing is the doctors' API): staff see
        # their hospital's records, versions, reports and who read them; doctors their own.
        viewing = [
            "records.view_visitrecord",
            "records.view_recordversion",
            "records.view_report",
            "records.view_recordaccess",
        ]
        role_grant(role=Role.HOSPITAL_STAFF, permissions=viewing)
        role_grant(role=Role.DOCTOR, permissions=viewing)
        role_grant(
            role=Role.PLATFORM_ADMIN,
            permissions=["records.view_icd10code"],
        )
