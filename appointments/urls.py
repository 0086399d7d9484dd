from django.urls import path

from appointments import apis, booking_apis, checkin_apis, notification_apis
from appointments import rebooking_offer_apis as offers
from appointments import workspace_apis as ws
from appointments.ledger import apis as ledger_apis
from appointments.release_queue import apis as release_queue_apis

app_name = "appointments"
urlpatterns = [
    path("", apis.AppointmentListApi.as_view(), name="list"),
    path(
        "rebooking-offers/",
        offers.RebookingOfferListApi.as_view(),
        name="rebooking-offer-list",
    ),
    path(
        "rebooking-offers/<int:offer_id>/accept/",
        offers.RebookingOfferAcceptApi.as_view(),
        name="rebooking-offer-accept",
    ),
    path(
        "rebooking-offers/<int:offer_id>/decline/",
        offers.RebookingOfferDeclineApi.as_view(),
        name="rebooking-offer-decline",
    ),
    path(
        "release-queue/<int:session_id>/",
        release_queue_apis.ReleaseQueuePlaceApi.as_view(),
        name="release-queue-place",
    ),
    path(
        "release-queue/<int:session_id>/join/",
        release_queue_apis.ReleaseQueueJoinApi.as_view(),
        name="release-queue-join",
    ),
    path("book/", booking_apis.AppointmentBookApi.as_view(), name="book"),
    path(
        "tickets/<int:ticket_id>/",
        booking_apis.BookingTicketApi.as_view(),
        name="ticket-detail",
    ),
    path("<int:appointment_id>/", apis.AppointmentDetailApi.as_view(), name="detail"),
    path(
        "<int:appointment_id>/cancel/",
        apis.AppointmentCancelApi.as_view(),
        name="cancel",
    ),
    path(
        "<int:appointment_id>/reschedule/",
        apis.AppointmentRescheduleApi.as_view(),
        name="reschedule",
    ),
    path(
        "<int:appointment_id>/confirm/",
        apis.AppointmentConfirmApi.as_view(),
        name="confirm",
    ),
    path(
        "<int:appointment_id>/check-in/",
        apis.AppointmentCheckInApi.as_view(),
        name="check-in",
    ),
    path(
        "<int:appointment_id>/check-in-code/",
        checkin_apis.AppointmentCheckInCodeApi.as_view(),
        name="check-in-code",
    ),
    path(
        "check-in/scan/",
        checkin_apis.AppointmentCheckInScanApi.as_view(),
        name="check-in-scan",
    ),
    path(
        "<int:appointment_id>/reminders/",
        apis.AppointmentRemindersApi.as_view(),
        name="reminders",
    ),
    path(
        "notifications/",
        notification_apis.NotificationListApi.as_view(),
        name="notification-list",
    ),
    path(
        "notifications/unread-count/",
        notification_apis.NotificationUnreadCountApi.as_view(),
        name="notification-unread-count",
    ),
    path(
        "notifications/subscribe-templates/",
        notification_apis.NotificationSubscribeTemplatesApi.as_view(),
        name="notification-subscribe-templates",
    ),
    path(
        "notifications/read-all/",
        notification_apis.NotificationReadAllApi.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        notification_apis.NotificationReadApi.as_view(),
        name="notification-read",
    ),
    path(
        "ledger/profiles/<int:profile_id>/",
        ledger_apis.ProfileLedgerApi.as_view(),
        name="ledger-profile",
    ),
    path(
        "ledger/entries/<int:entry_id>/appeal/",
        ledger_apis.AppealFileApi.as_view(),
        name="ledger-appeal-file",
    ),
    path("ledger/appeals/", ledger_apis.AppealListApi.as_view(), name="ledger-appeals"),
    path("waitlist/", apis.WaitlistListApi.as_view(), name="waitlist-list"),
    path("waitlist/join/", apis.WaitlistJoinApi.as_view(), name="waitlist-join"),
    path(
        "waitlist/<int:entry_id>/leave/",
        apis.WaitlistLeaveApi.as_view(),
        name="waitlist-leave",
    ),
    path("staff/day-list/", apis.StaffDayListApi.as_view(), name="staff-day-list"),
    # The doctor's workspace (the clinic floor)
    path(
        "workspace/sessions/",
        ws.WorkspaceSessionListApi.as_view(),
        name="workspace-sessions",
    ),
    path(
        "workspace/sessions/<int:session_id>/queue/",
        ws.WorkspaceSessionQueueApi.as_view(),
        name="workspace-queue",
    ),
    path(
        "workspace/sessions/<int:session_id>/call-next/",
        ws.WorkspaceCallNextApi.as_view(),
        name="workspace-call-next",
    ),
    path(
        "workspace/sessions/<int:session_id>/walk-in/",
        ws.WorkspaceWalkInApi.as_view(),
        name="workspace-walk-in",
    ),
    path(
        "workspace/sessions/<int:session_id>/stop-request/",
        ws.WorkspaceStopRequestApi.as_view(),
        name="workspace-stop-request",
    ),
    path(
        "workspace/appointments/<int:appointment_id>/recall/",
        ws.WorkspaceRecallApi.as_view(),
        name="workspace-recall",
    ),
    path(
        "workspace/appointments/<int:appointment_id>/skip/",
        ws.WorkspaceSkipApi.as_view(),
        name="workspace-skip",
    ),
    path(
        "workspace/appointments/<int:appointment_id>/seen/",
        ws.WorkspaceSeenApi.as_view(),
        name="workspace-seen",
    ),
]
