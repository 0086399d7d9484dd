from django.urls import path

from config.portal.views import (
    appointments,
    auth,
    booking,
    browse,
    consults,
    ledger,
    profiles,
    rebooking_offers,
    release_queue,
    reschedule,
    tickets,
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
    path(
        "booking-tickets/<int:ticket_id>/",
        tickets.booking_ticket,
        name="booking-ticket",
    ),
    # the release queue's waiting room (排队放号)
    path(
        "release-queue/<int:session_id>/",
        release_queue.release_queue_page,
        name="release-queue",
    ),
    path(
        "release-queue/<int:session_id>/leave/",
        release_queue.release_queue_leave_view,
        name="release-queue-leave",
    ),
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
    path(
        "rebooking-offers/",
        rebooking_offers.rebooking_offer_list,
        name="rebooking-offers",
    ),
    path(
        "rebooking-offers/<int:offer_id>/accept/",
        rebooking_offers.rebooking_offer_accept_view,
        name="rebooking-offer-accept",
    ),
    path(
        "rebooking-offers/<int:offer_id>/decline/",
        rebooking_offers.rebooking_offer_decline_view,
        name="rebooking-offer-decline",
    ),
    path("orders/<int:order_id>/dev-pay/", booking.dev_pay, name="dev-pay"),
    path("orders/<int:order_id>/wechat/", booking.wechat_pay, name="wechat-pay"),
    # online consults (在线问诊)
    path(
        "doctors/<int:doctor_id>/consult/",
        consults.consult_start,
        name="consult-start",
    ),
    path("consults/", consults.consult_list, name="consults"),
    path("consults/<int:consult_id>/", consults.consult_detail, name="consult"),
    path(
        "consults/<int:consult_id>/messages/",
        consults.consult_messages,
        name="consult-messages",
    ),
    path(
        "consults/<int:consult_id>/pay/", consults.consult_pay_view, name="consult-pay"
    ),
    path(
        "consults/<int:consult_id>/problem-images/",
        consults.consult_problem_image_add,
        name="consult-problem-image",
    ),
    path(
        "consults/<int:consult_id>/send-image/",
        consults.consult_send_image,
        name="consult-send-image",
    ),
    path("consults/<int:consult_id>/send/", consults.consult_send, name="consult-send"),
    path(
        "consults/<int:consult_id>/close/",
        consults.consult_close_view,
        name="consult-close",
    ),
    path(
        "consults/<int:consult_id>/rate/",
        consults.consult_rate_view,
        name="consult-rate",
    ),
    path(
        "consults/messages/<int:message_id>/recall/",
        consults.message_recall_view,
        name="consult-recall",
    ),
    # 就诊人
    path("profiles/", profiles.profile_list, name="profiles"),
    path("profiles/<int:profile_id>/ledger/", ledger.ledger_page, name="ledger"),
    path(
        "profiles/<int:profile_id>/ledger/<int:entry_id>/appeal/",
        ledger.ledger_appeal,
        name="ledger-appeal",
    ),
    path("profiles/add/", profiles.profile_add, name="profile-add"),
    path(
        "profiles/<int:profile_id>/delete/",
        profiles.profile_delete,
        name="profile-delete",
    ),
]
