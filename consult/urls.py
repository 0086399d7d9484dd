from django.urls import path

from consult.apis import consults, doctor, poll

app_name = "consult"
urlpatterns = [
    # both parties: a patient's own consults, a doctor's addressed ones
    path("", consults.ConsultListApi.as_view(), name="list"),
    path("create/", consults.ConsultCreateApi.as_view(), name="create"),
    path("<int:consult_id>/", consults.ConsultDetailApi.as_view(), name="detail"),
    path(
        "<int:consult_id>/messages/",
        consults.ConsultMessageListApi.as_view(),
        name="messages",
    ),
    path(
        "<int:consult_id>/messages/send/",
        consults.ConsultMessageSendApi.as_view(),
        name="message-send",
    ),
    path(
        "messages/<int:message_id>/recall/",
        consults.MessageRecallApi.as_view(),
        name="message-recall",
    ),
    path("<int:consult_id>/close/", consults.ConsultCloseApi.as_view(), name="close"),
    path("<int:consult_id>/rate/", consults.ConsultRateApi.as_view(), name="rate"),
    # the patient choosing: a doctor's terms
    path(
        "doctors/<int:doctor_id>/offer/",
        doctor.PublicOfferApi.as_view(),
        name="doctor-offer",
    ),
    # doctors: their offer and quick replies
    path("offer/", doctor.OfferApi.as_view(), name="offer"),
    path("quick-replies/", doctor.QuickReplyListApi.as_view(), name="quick-replies"),
    path(
        "quick-replies/create/",
        doctor.QuickReplyCreateApi.as_view(),
        name="quick-reply-create",
    ),
    path(
        "quick-replies/<int:reply_id>/update/",
        doctor.QuickReplyUpdateApi.as_view(),
        name="quick-reply-update",
    ),
    path(
        "quick-replies/<int:reply_id>/delete/",
        doctor.QuickReplyDeleteApi.as_view(),
        name="quick-reply-delete",
    ),
    # the long-poll of messages (waits only under the ASGI application)
    path(
        "<int:consult_id>/messages/poll/",
        poll.ConsultMessagePollApi.as_view(),
        name="message-poll",
    ),
]
