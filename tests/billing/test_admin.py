"""Staff screens for payments: read-only, hospital-scoped, money moves only via services."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

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


# -- the desk: hospital staff reach refunds through their role -----------------------------


def clerk_of(hospital) -> User:
    """Hospital staff with no permission of their own: the role brings them."""
    return User.objects.create_user(
        username=f"clerk{hospital.pk}",
        role=User.Role.HOSPITAL_STAFF,
        hospital=hospital,
        is_staff=True,
    )


def failed_refund(order: PaymentOrder, *, failure: str, kind: str = "stop_clinic"):
    # Written straight to the table: the channel's answer is what the list must show.
    return Refund.objects.create(
        order=order,
        kind=kind,
        reason="stop_clinic",
        out_refund_no=f"R{order.out_trade_no}",
        amount=order.amount,
        status=Refund.Status.FAILED,
        failure_reason=failure,
    )


def test_hospital_staff_reach_orders_refunds_and_ledger_by_their_role(
    client, dev_gateway
):
    # given
    order = paid_dev_order()
    client.force_login(clerk_of(order.appointment.hospital))

    # when
    pages = [
        client.get(reverse(f"admin:billing_{name}_changelist"))
        for name in ("paymentorder", "refund", "paymentledgerentry")
    ]
    index = client.get(reverse("admin:index"))

    # then
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert reverse("admin:billing_refund_changelist") in index.content.decode()


def test_the_refund_list_names_patient_doctor_and_visit_in_few_queries(
    client, dev_gateway, django_assert_max_num_queries
):
    # given
    orders = [paid_dev_order() for _ in range(3)]
    hospital = orders[0].appointment.hospital
    for order in orders:
        order.appointment.__class__.objects.filter(pk=order.appointment.pk).update(
            hospital=hospital
        )
        order.__class__.objects.filter(pk=order.pk).update(hospital=hospital)
        failed_refund(order, failure="ABNORMAL")
    client.force_login(clerk_of(hospital))
    client.get(reverse("admin:billing_refund_changelist"))  # warm the session

    # when
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:billing_refund_changelist"))

    # then
    html = response.content.decode()
    for order in orders:
        assert order.appointment.profile.name in html
        assert order.appointment.doctor.name in html
        visit = timezone.localtime(order.appointment.visit_starts_at)
        assert f"{visit:%Y-%m-%d %H:%M}" in html


def test_the_refund_list_says_channel_failures_and_kinds_in_chinese(
    client, dev_gateway
):
    # given
    known = paid_dev_order()
    unknown = paid_dev_order()
    hospital = known.appointment.hospital
    unknown.appointment.__class__.objects.filter(pk=unknown.appointment.pk).update(
        hospital=hospital
    )
    unknown.__class__.objects.filter(pk=unknown.pk).update(hospital=hospital)
    failed_refund(known, failure="400 NOT_ENOUGH: balance not enough")
    failed_refund(unknown, failure="40004 ACQ.SOMETHING_NEW: new error", kind="other")
    client.force_login(clerk_of(hospital))

    # when
    with translation.override("zh-hans"):
        html = client.get(
            reverse("admin:billing_refund_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()

    # then
    assert "商户账户余额不足" in html
    assert "渠道错误：ACQ.SOMETHING_NEW" in html
    assert "停诊退款" in html
    assert "停诊通知" not in html
    for english in ("patient", "doctor", "failure reason", "amount"):
        assert f">{english}<" not in html


def test_staff_retry_a_failed_refund_by_their_role(
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
    wechatpay.refunds[refund.out_refund_no]["status"] = "SUCCESS"
    client.force_login(clerk_of(order.appointment.hospital))

    # when
    page = client.get(reverse("admin:billing_refund_change", args=[refund.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:billing_refund_changelist"),
            {"action": "retry", "_selected_action": [refund.pk]},
        )

    # then
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # read-only page
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert messages_of(response) == [("success", "1 refunds sent again.")]


def test_a_refused_retry_names_the_patient_and_changes_nothing(client, dev_gateway):
    # given: a refund that already succeeded cannot be sent again
    order = paid_dev_order()
    refund = services.refund_create_by_staff(order=order, actor=ACTOR)
    Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.SUCCEEDED)
    client.force_login(clerk_of(order.appointment.hospital))

    # when
    response = client.post(
        reverse("admin:billing_refund_changelist"),
        {"action": "retry", "_selected_action": [refund.pk]},
    )

    # then
    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith(f"{order.appointment.profile.name}: ")
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.SUCCEEDED


def test_staff_cannot_refund_orders_themselves(client, dev_gateway):
    # given
    order = paid_dev_order()
    client.force_login(clerk_of(order.appointment.hospital))

    # when
    response = client.post(
        reverse("admin:billing_paymentorder_changelist"),
        {"action": "refund_in_full", "_selected_action": [order.pk]},
    )

    # then: the action is not offered to the desk
    assert Refund.objects.exists() is False
    assert response.status_code in (200, 302)


def test_order_and_refund_pages_name_the_patient_and_never_link_to_accounts(
    client, dev_gateway
):
    # given
    order = paid_dev_order()
    refund = failed_refund(order, failure="ABNORMAL")
    client.force_login(clerk_of(order.appointment.hospital))

    # when
    with translation.override("zh-hans"):
        pages = [
            client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
            for url in (
                reverse("admin:billing_paymentorder_change", args=[order.pk]),
                reverse("admin:billing_refund_change", args=[refund.pk]),
            )
        ]

    # then
    for html in pages:
        assert order.appointment.profile.name in html
        # no link to the payer's account or profile (the nav may list the accounts app)
        assert f"/admin/accounts/user/{order.user_id}/" not in html
        assert "/admin/accounts/patientprofile/" not in html
        assert 'name="_save"' not in html
    assert "停诊退款" in pages[1]  # the reason "stop_clinic", said in Chinese
    assert "退款异常" in pages[1]
