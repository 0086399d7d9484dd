from django.urls import path

from config.portal.views import (
    appointments,
    auth,
    booking,
    browse,
    profiles,
    reschedule,
)

app_name = "portal"
urlpatterns = [
    path("", browse.index, name="index"),
    path("login/", auth.login_page, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    # the catalog (public)
    path("hospitals/", browse.hospital_list, name="hospitals"),
    path("hospitals/<int:hospital_id>/", browse.hospital_detail, name="hospital"),
    path(
        "departments/<int:department_id>/",
        browse.department_detail,
        name="department",
    ),
    path("doctors/", browse.doctor_search, name="doctor-search"),
    path("doctors/<int:doctor_id>/", browse.doctor_detail, name="doctor"),
    # booking and paying (a patient's session)
    path("book/<int:slot_id>/", booking.book, name="book"),
    path("appointments/", appointments.appointment_list, name="appointments"),
    path(
        "appointments/<int:appointment_id>/",
        appointments.appointment_detail,
        name="appointment",
    ),
    path("appointments/<int:appointment_id>/pay/", booking.pay, name="pay"),
    path(
        "appointments/<int:appointment_id>/cancel/",
        appointments.appointment_cancel_view,
        name="cancel",
    ),
    path(
        "appointments/<int:appointment_id>/reschedule/",
        reschedule.reschedule_slots,
        name="reschedule",
    ),
    path(
        "appointments/<int:appointment_id>/reschedule/<int:slot_id>/",
        reschedule.reschedule_confirm,
        name="reschedule-confirm",
    ),
    path("orders/<int:order_id>/dev-pay/", booking.dev_pay, name="dev-pay"),
    path("orders/<int:order_id>/wechat/", booking.wechat_pay, name="wechat-pay"),
    # 就诊人
    path("profiles/", profiles.profile_list, name="profiles"),
    path("profiles/add/", profiles.profile_add, name="profile-add"),
    path(
        "profiles/<int:profile_id>/delete/",
        profiles.profile_delete,
        name="profile-delete",
    ),
]
