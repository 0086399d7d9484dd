"""The error codes accounts raises: stable snake_case values the clients switch on.

Each is raised with a human message (gettext) in a common.errors.DomainError subclass;
the API renders {"error": {"code": ..., "message": ..., "fields": {}}}.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    ACCOUNT_DISABLED = "account_disabled"
    ACCOUNT_NOT_FOUND = "account_not_found"
    CURRENT_PASSWORD_INVALID = "current_password_invalid"
    ID_CARD_ON_TOO_MANY_ACCOUNTS = "id_card_on_too_many_accounts"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_WECHAT_CODE = "invalid_wechat_code"
    LATE_CANCEL_NOT_ALLOWED = "late_cancel_not_allowed"
    LATE_CANCEL_QUOTA_USED = "late_cancel_quota_used"
    LOGIN_LOCKED = "login_locked"
    NOT_ALLOWED_TO_EDIT_LEVELS = "not_allowed_to_edit_levels"
    NOT_ALLOWED_TO_GRANT_LEVEL = "not_allowed_to_grant_level"
    NOT_PATIENT_ACCOUNT = "not_patient_account"
    NOT_STAFF_ACCOUNT = "not_staff_account"
    OTP_DEVICE_REQUIRED = "otp_device_required"
    OTP_INVALID = "otp_invalid"
    OTP_REQUIRED = "otp_required"
    POINTS_CHANGED = "points_changed"
    PROFILE_DUPLICATE_ID_CARD = "profile_duplicate_id_card"
    PROFILE_HAS_ACTIVE_BOOKINGS = "profile_has_active_bookings"
    PROFILE_LIMIT_REACHED = "profile_limit_reached"
    PROFILE_NOT_FOUND = "profile_not_found"
    SMS_CODE_EXHAUSTED = "sms_code_exhausted"
    SMS_CODE_EXPIRED = "sms_code_expired"
    SMS_CODE_INVALID = "sms_code_invalid"
    SMS_DAILY_LIMIT = "sms_daily_limit"
    SMS_TOO_FREQUENT = "sms_too_frequent"
    SMS_UNAVAILABLE = "sms_unavailable"
    TOKEN_NOT_VALID = "token_not_valid"
    USERNAME_TAKEN = "username_taken"
    WECHAT_LOGIN_REFUSED = "wechat_login_refused"
    WECHAT_RATE_LIMITED = "wechat_rate_limited"
