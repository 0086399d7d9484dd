from django.urls import path

from records.workspace import record_views, views

app_name = "workspace"
urlpatterns = [
    path("", views.session_list, name="sessions"),
    path("sessions/<int:session_id>/", views.session_detail, name="session"),
    path("sessions/<int:session_id>/call-next/", views.call_next, name="call-next"),
    path("appointments/<int:appointment_id>/recall/", views.recall, name="recall"),
    path("appointments/<int:appointment_id>/skip/", views.skip, name="skip"),
    path("appointments/<int:appointment_id>/seen/", views.mark_seen, name="seen"),
    path(
        "appointments/<int:appointment_id>/record/",
        record_views.record_page,
        name="record",
    ),
]
