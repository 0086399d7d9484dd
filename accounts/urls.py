from django.urls import path

from accounts.apis.auth import (
    LogoutApi,
    MeApi,
    PasswordLoginApi,
    PasswordResetApi,
    PasswordSetApi,
    SmsLoginApi,
    SmsSendApi,
    TokenRefreshApi,
    WeChatLoginApi,
)
from accounts.apis.members import MemberApi, MemberPointsListApi
from accounts.apis.profiles import (
    ProfileCreateApi,
    ProfileDeleteApi,
    ProfileDetailApi,
    ProfileListApi,
    ProfileUpdateApi,
)
from accounts.apis.staff import StaffLoginApi

app_name = "accounts"
urlpatterns = [
    path("login/wechat/", WeChatLoginApi.as_view(), name="login-wechat"),
    path("sms/send/", SmsSendApi.as_view(), name="sms-send"),
    path("login/sms/", SmsLoginApi.as_view(), name="login-sms"),
    path("login/password/", PasswordLoginApi.as_view(), name="login-password"),
    path("staff/login/", StaffLoginApi.as_view(), name="staff-login"),
    path("password/set/", PasswordSetApi.as_view(), name="password-set"),
    path("password/reset/", PasswordResetApi.as_view(), name="password-reset"),
    path("token/refresh/", TokenRefreshApi.as_view(), name="token-refresh"),
    path("logout/", LogoutApi.as_view(), name="logout"),
    path("me/", MeApi.as_view(), name="me"),
    path("member/", MemberApi.as_view(), name="member"),
    path("member/points/", MemberPointsListApi.as_view(), name="member-points"),
    path("profiles/", ProfileListApi.as_view(), name="profile-list"),
    path("profiles/create/", ProfileCreateApi.as_view(), name="profile-create"),
    path(
        "profiles/<int:profile_id>/", ProfileDetailApi.as_view(), name="profile-detail"
    ),
    path(
        "profiles/<int:profile_id>/update/",
        ProfileUpdateApi.as_view(),
        name="profile-update",
    ),
    path(
        "profiles/<int:profile_id>/delete/",
        ProfileDeleteApi.as_view(),
        name="profile-delete",
    ),
]
