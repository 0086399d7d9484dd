from django.urls import path

from consult.apis import advice, consults, doctor, images, payment, poll, reports

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
    # the patient pays through billing
    path("<int:consult_id>/pay/", payment.ConsultPayApi.as_view(), name="pay"),
]
# consult images: problem images, image messages, the signed links that serve them
urlpatterns += [
    path(
        "<int:consult_id>/problem-images/",
        images.ProblemImageAddApi.as_view(),
        name="problem-image-add",
    ),
    path(
        "<int:consult_id>/messages/send-image/",
        images.MessageImageSendApi.as_view(),
        name="message-image-send",
    ),
    path("images/<str:token>/", images.ImageServeApi.as_view(), name="image"),
]

# abuse reports and the doctor's advice (into the patient's records)
urlpatterns += [
    path(
        "messages/<int:message_id>/report/",
        reports.MessageReportApi.as_view(),
        name="message-report",
    ),
    path("<int:consult_id>/advice/", advice.ConsultAdviceApi.as_view(), name="advice"),
]
