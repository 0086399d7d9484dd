"""Readable labels of the operation-log action codes the accounts services write."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "user_create_by_admin": _("Account created by staff"),
    "user_create_by_sms_login": _("Account created at first SMS login"),
    "user_create_by_wechat_login": _("Account created at first WeChat login"),
    "user_group_add_by_seed": _("Account added to a group by the demo data"),
    "group_permissions_add_by_seed": _("Group permissions set by the demo data"),
    "user_logout": _("Logged out"),
    "user_staff_login": _("Signed in to the clinic workspace"),
    "user_password_set": _("Password set by the patient"),
    "user_password_reset": _("Password reset with an SMS code"),
    "patient_profile_create": _("Patient added"),
    "patient_profile_update": _("Patient details changed"),
    "patient_profile_delete": _("Patient removed"),
    "member.late_cancel": _("Late cancellation used"),
    "member.level_change": _("Member level changed"),
    "member.level_create": _("Member level created"),
    "member.level_grant": _("Member level granted"),
    "member.points": _("Points changed"),
}
