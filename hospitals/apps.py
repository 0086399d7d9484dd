from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, role_grant
from common.action_labels import action_labels_register
from hospitals.action_labels import ACTION_LABELS


class HospitalsConfig(AppConfig):
    name = "hospitals"
    verbose_name = _("Hospitals")

    def ready(self) -> None:
        action_labels_register(ACTION_LABELS)

        # Hospital staff run their own hospital's catalogue: its departments and doctors,
        # and the hospital's own page (name and grade stay with the platform, see
        # HospitalAdmin). Deleting only succeeds for rows nothing refers to yet.
        role_grant(
            role=Role.HOSPITAL_STAFF,
            permissions=[
                "hospitals.view_hospital",
                "hospitals.change_hospital",
                *_crud("department"),
                *_crud("doctor"),
                *_crud("consultingroom"),
            ],
        )
        # Doctors look up their hospital's catalogue; they change nothing in it.
        role_grant(
            role=Role.DOCTOR,
            permissions=[
                "hospitals.view_hospital",
                "hospitals.view_department",
                "hospitals.view_doctor",
                "hospitals.view_consultingroom",
            ],
        )
        # Platform admins onboard hospitals and look after every catalogue.
        role_grant(
            role=Role.PLATFORM_ADMIN,
            permissions=[
                *_crud("hospital"),
                *_crud("department"),
                *_crud("doctor"),
                *_crud("consultingroom"),
            ],
        )


def _crud(model: str) -> list[str]:
    return [
        f"hospitals.{action}_{model}" for action in ("view", "add", "change", "delete")
    ]
