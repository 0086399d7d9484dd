"""Staff screens for payments: read-only, hospital-scoped, money moves only via services."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from billing import services
from billing.models import PaymentOrder, ReconciliationReport, Refund
from common.services import Actor
from tests.billing.factories import open_order

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

User = get_user_model()
ACTOR = Actor.system()


def staff_of(hospital) -> User:
    user = User.objects.create_user(
        username=f"cashier{hospital.pk}",
        role=User.Role.HOSPITAL_STAFF,
        hospital=hospital,
        is_staff=True,
    )
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="billing")
    )
    return user


def paid_dev_order(fee: int = 2000) -> PaymentOrder:
    order = open_order(channel="dev", fee=fee)
    services.payment_order_dev_pay(order=order, actor=ACTOR)
    order.refresh_from_db()
    return order


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m.message)) for m in get_messages(response.wsgi_request)]


def test_staff_see_only_their_hospitals_orders(client, dev_gateway):
    # given
    ours = open_order(channel="dev")
    theirs = open_order(channel="dev")
    client.force_login(staff_of(ours.appointment.hospital))

    # when
    listing = client.get(reverse("admin:billing_paymentorder_changelist"))
    foreign = client.get(reverse("admin:billing_paymentorder_change", args=[theirs.pk]))
    own = client.get(reverse("admin:billing_paymentorder_change", args=[ours.pk]))

    # then
    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [ours]
    assert (
        foreign.status_code == 302
    )  # "does not exist": outside the staff member's scope
    assert foreign.url == reverse("admin:index")
    assert own.status_code == 200
    assert own.context["has_change_permission"] is False  # read-only form


def test_the_refund_action_refunds_through_the_service(
    client, dev_gateway, django_capture_on_commit_callbacks
):
    # given
    order = paid_dev_order(fee=1800)
    staff = staff_of(order.appointment.hospital)
    client.force_login(staff)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:billing_paymentorder_changelist"),
            {"action": "refund_in_full", "_selected_action": [order.pk]},
        )

    # then
    assert response.status_code == 302
    [refund] = Refund.objects.all()
    assert (refund.kind, refund.amount, refund.status) == ("staff", 1800, "succeeded")
    assert refund.reason == f"refunded by staff {staff.username}"
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.REFUNDED
    assert messages_of(response) == [("success", "1 refunds requested.")]


def test_the_refund_action_reports_a_refusal_and_changes_nothing(client, dev_gateway):
    # given: not paid
    order = open_order(channel="dev")
    client.force_login(staff_of(order.appointment.hospital))

    # when
    response = client.post(
        reverse("admin:billing_paymentorder_changelist"),
        {"action": "refund_in_full", "_selected_action": [order.pk]},
    )

    # then
    assert messages_of(response) == [
        ("error", f"{order.out_trade_no}: This order has not been paid.")
    ]
    assert Refund.objects.exists() is False


def test_the_refund_action_cannot_reach_another_hospitals_order(client, dev_gateway):
    # given
    ours = open_order(channel="dev")
    theirs = paid_dev_order()
    client.force_login(staff_of(ours.appointment.hospital))

    # when
    client.post(
        reverse("admin:billing_paymentorder_changelist"),
        {"action": "refund_in_full", "_selected_action": [theirs.pk]},
    )

    # then
    assert Refund.objects.exists() is False


def test_the_retry_action_sends_a_failed_refund_again(
    client, wechatpay, django_capture_on_commit_callbacks
):
    # given: a refund WeChat marked abnormal, since sorted out at WeChat
    order = open_order(channel="wechat")
    headers, body = wechatpay.notification(
        wechatpay.pay(order.out_trade_no, total=order.amount)
    )
    services.wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)
    wechatpay.refund_status = "ABNORMAL"
    with django_capture_on_commit_callbacks(execute=True):
        refund = services.refund_create_by_staff(order=order, actor=ACTOR)
    refund.refresh_from_db()
    assert refund.status == "failed"
    wechatpay.refunds[refund.out_refund_no]["status"] = "SUCCESS"
    client.force_login(staff_of(order.appointment.hospital))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:billing_refund_changelist"),
            {"action": "retry", "_selected_action": [refund.pk]},
        )

    # then
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert messages_of(response) == [("success", "1 refunds sent again.")]


def test_reconciliation_reports_are_for_platform_admins_only(client, dev_gateway):
    # given
    order = open_order(channel="dev")
    report = ReconciliationReport.objects.create(
        channel="wechat", date="2024-05-01", file_name="bill.csv"
    )
    url = reverse("admin:billing_reconciliationreport_change", args=[report.pk])

    # when
    client.force_login(staff_of(order.appointment.hospital))
    as_staff = client.get(url)
    client.force_login(User.objects.create_superuser(username="root", password="x"))
    as_admin = client.get(url)

    # then
    assert as_staff.status_code == 403
    assert as_admin.status_code == 200
