from django.urls import path

from billing import apis

app_name = "billing"
urlpatterns = [
    path("channels/", apis.ChannelListApi.as_view(), name="channels"),
    path("orders/", apis.PaymentOrderCreateApi.as_view(), name="order-create"),
    path(
        "orders/<int:order_id>/",
        apis.PaymentOrderDetailApi.as_view(),
        name="order-detail",
    ),
    path(
        "orders/<int:order_id>/dev-pay/",
        apis.PaymentOrderDevPayApi.as_view(),
        name="order-dev-pay",
    ),
    path("notify/wechat/", apis.WeChatPayNotifyView.as_view(), name="notify-wechat"),
    path(
        "notify/wechat/refund/",
        apis.WeChatPayNotifyView.as_view(),
        name="notify-wechat-refund",
    ),
    path("notify/alipay/", apis.AlipayNotifyView.as_view(), name="notify-alipay"),
]
