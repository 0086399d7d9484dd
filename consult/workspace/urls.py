from django.urls import path

from consult.workspace import views

app_name = "consult_workspace"
urlpatterns = [
    path("", views.consult_list, name="consults"),
    path("<int:consult_id>/", views.consult_detail, name="consult"),
    path("<int:consult_id>/messages/", views.consult_messages, name="messages"),
    path("<int:consult_id>/send/", views.consult_send, name="send"),
    path("<int:consult_id>/send-image/", views.consult_send_image, name="send-image"),
    path("<int:consult_id>/close/", views.consult_close_view, name="close"),
    path(
        "messages/<int:message_id>/recall/",
        views.message_recall_view,
        name="recall",
    ),
    path("quick-replies/", views.quick_reply_list, name="quick-replies"),
    path("quick-replies/add/", views.quick_reply_add, name="quick-reply-add"),
    path(
        "quick-replies/<int:reply_id>/edit/",
        views.quick_reply_edit,
        name="quick-reply-edit",
    ),
    path(
        "quick-replies/<int:reply_id>/delete/",
        views.quick_reply_delete_view,
        name="quick-reply-delete",
    ),
    path("offer/", views.offer_page, name="offer"),
]
