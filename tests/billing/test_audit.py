"""The daily abnormal-payment audit (安全审计): rules, stored once, logged, shown to staff."""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone, translation

from billing import tasks
from billing.models import PaymentAlert, PaymentOrder, Refund
from billing.services import refunds
from billing.services.audit import payments_audit_run
from billing.services.notifications import (
    payment_order_dev_pay,
    wechatpay_notification_handle,
)
from billing.services.orders import payment_order_close, payment_order_open
from billing.wechatpay import NotificationRejected
from common.models import OperationLog
from common.periodic import periodic_jobs_of
from common.services import Actor
from tests.appointments.factories import PatientProfileFactory
from tests.billing.factories import open_order, pending_appointment
from tests.scheduling.factories import SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

User = get_user_model()
ACTOR = Actor.system()
Rule = PaymentAlert.Rule


def today():
    return timezone.localdate()


def paid_dev_order(fee: int = 2000) -> PaymentOrder:
    order = open_order(channel="dev", fee=fee)
    payment_order_dev_pay(order=order, actor=ACTOR)
    order.refresh_from_db()
    return order


def refused_wechat_payment(wechatpay) -> PaymentOrder:
    """A WeChat order whose (verified) notification reports 0.01 yuan paid."""
    order = open_order(channel="wechat", fee=2000)
    headers, body = wechatpay.notification(
        {**wechatpay.pay(order.out_trade_no, total=2000), "amount": {"total": 1}}
    )
    with pytest.raises(NotificationRejected):
        wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)
    return order


def closed_orders_of_one_account(count: int, *, ip: str | None = None) -> User:
    profile = PatientProfileFactory()
    for _ in range(count):
        appointment = pending_appointment(profile=profile)
        order = payment_order_open(
            appointment=appointment,
            channel="dev",
            actor=Actor(user=profile.user, ip=ip),
        )
        payment_order_close(order=order, actor=ACTOR, reason="hold expired")
    return profile.user


def appointments_of_one_account(profile, count: int) -> list:
    """`count` pending appointments on successive days (the daily cap allows two)."""
    return [
        pending_appointment(
            profile=profile,
            slot=SlotFactory(session__date=today() + datetime.timedelta(days=day)),
        )
        for day in range(1, count + 1)
    ]


def alerts() -> list[tuple[str, str, int]]:
    return sorted(PaymentAlert.objects.values_list("rule", "subject", "count"))


# -- rules -------------------------------------------------------------------------------


def test_a_payment_reported_with_another_amount_is_an_alert_logged_once(wechatpay):
    # given
    order = refused_wechat_payment(wechatpay)

    # when: the audit runs twice
    first = payments_audit_run(day=today())
    second = payments_audit_run(day=today())

    # then
    alert = PaymentAlert.objects.get()
    assert (alert.rule, alert.subject, alert.count) == (
        Rule.AMOUNT_MISMATCH,
        f"order:{order.pk}",
        1,
    )
    assert alert.order == order
    assert alert.hospital_id == order.appointment.hospital_id
    assert alert.amount == 2000
    assert (first.new, second.new) == (1, 0)
    assert first.hits[Rule.AMOUNT_MISMATCH] == second.hits[Rule.AMOUNT_MISMATCH] == 1
    assert OperationLog.objects.filter(action="billing.payment_alert").count() == 1
    order.refresh_from_db()
    assert order.status == PaymentOrder.Status.CREATED


def test_repeated_unpaid_orders_of_one_account_reach_the_threshold(
    settings, dev_gateway
):
    # given: one account with 2 closed orders, another with 1
    settings.PAYMENTS_AUDIT_FAILED_PER_ACCOUNT = 2
    settings.PAYMENTS_AUDIT_FAILED_PER_IP = 99
    repeated = closed_orders_of_one_account(2)
    closed_orders_of_one_account(1)

    # when
    summary = payments_audit_run(day=today())

    # then
    assert alerts() == [(Rule.FAILED_PER_ACCOUNT, f"user:{repeated.pk}", 2)]
    assert summary.total == 1


def test_repeated_unpaid_orders_from_one_ip_reach_the_threshold(settings, dev_gateway):
    # given: two accounts, three closed orders from one address
    settings.PAYMENTS_AUDIT_FAILED_PER_ACCOUNT = 99
    settings.PAYMENTS_AUDIT_FAILED_PER_IP = 3
    closed_orders_of_one_account(2, ip="203.0.113.7")
    closed_orders_of_one_account(1, ip="203.0.113.7")
    closed_orders_of_one_account(2, ip="198.51.100.1")

    # when
    payments_audit_run(day=today())

    # then
    alert = PaymentAlert.objects.get()
    assert (alert.rule, alert.subject, alert.count) == (
        Rule.FAILED_PER_IP,
        "ip:203.0.113.7",
        3,
    )
    assert alert.ip == "203.0.113.7"


def test_a_staff_refund_near_the_payment_is_an_alert_but_a_cancel_refund_is_not(
    settings, dev_gateway
):
    # given: a staff refund of 19.00 of 20.00 (95 percent) and a full cancel refund
    settings.PAYMENTS_AUDIT_REFUND_NEAR_PERCENT = 90
    near = paid_dev_order()
    refunds.refund_create(
        order=near, actor=ACTOR, kind=Refund.Kind.STAFF, reason="staff", amount=1900
    )
    cancelled = paid_dev_order()
    refunds.refund_create(
        order=cancelled, actor=ACTOR, kind=Refund.Kind.CANCEL, reason="cancel:patient"
    )
    small = paid_dev_order()
    refunds.refund_create(
        order=small, actor=ACTOR, kind=Refund.Kind.STAFF, reason="staff", amount=500
    )

    # when
    payments_audit_run(day=today())

    # then
    assert alerts() == [(Rule.REFUND_NEAR_PAYMENT, f"order:{near.pk}", 1)]
    assert PaymentAlert.objects.get().amount == 1900


def test_many_orders_from_one_account_in_a_short_time_are_an_alert(
    settings, dev_gateway
):
    # given
    settings.PAYMENTS_AUDIT_BURST_ORDERS = 3
    settings.PAYMENTS_AUDIT_BURST_MINUTES = 10
    busy = PatientProfileFactory()
    for appointment in appointments_of_one_account(busy, 3):
        open_order(channel="dev", appointment=appointment)
    calm = PatientProfileFactory()
    for appointment in appointments_of_one_account(calm, 2):
        open_order(channel="dev", appointment=appointment)

    # when
    payments_audit_run(day=today())

    # then
    assert alerts() == [(Rule.ORDER_BURST, f"user:{busy.user.pk}", 3)]


def test_orders_spread_wider_than_the_window_are_no_burst(settings, dev_gateway):
    # given: three orders, the last one 11 minutes after the first
    settings.PAYMENTS_AUDIT_BURST_ORDERS = 3
    settings.PAYMENTS_AUDIT_BURST_MINUTES = 10
    profile = PatientProfileFactory()
    orders = [
        open_order(channel="dev", appointment=appointment)
        for appointment in appointments_of_one_account(profile, 3)
    ]
    start = timezone.localtime().replace(hour=12, minute=0)
    for minutes, order in zip((0, 5, 11), orders, strict=True):
        PaymentOrder.objects.filter(pk=order.pk).update(
            created_at=start + datetime.timedelta(minutes=minutes)
        )

    # when
    payments_audit_run(day=today())

    # then
    assert PaymentAlert.objects.exists() is False


def test_another_days_activity_is_not_counted(settings, dev_gateway):
    # given
    settings.PAYMENTS_AUDIT_FAILED_PER_ACCOUNT = 2
    closed_orders_of_one_account(2)

    # when
    summary = payments_audit_run(day=today() - datetime.timedelta(days=1))

    # then
    assert summary.total == 0
    assert PaymentAlert.objects.exists() is False


# -- command, job, admin -----------------------------------------------------------------


def test_the_command_shows_progress_and_a_one_line_summary(settings, dev_gateway):
    # given
    settings.PAYMENTS_AUDIT_FAILED_PER_ACCOUNT = 2
    closed_orders_of_one_account(2)
    out, err = io.StringIO(), io.StringIO()

    # when
    call_command(
        "payments_audit", "--date", today().isoformat(), stdout=out, stderr=err
    )
    again = io.StringIO()
    call_command(
        "payments_audit", "--date", today().isoformat(), stdout=again, stderr=err
    )

    # then
    assert out.getvalue() == (
        f"{today()}: 1 hits (amount_mismatch 0, failed_per_account 1, failed_per_ip 0, "
        "refund_near_payment 0, order_burst 0); 1 new alerts.\n"
    )
    assert again.getvalue().endswith("; 0 new alerts.\n")
    assert "4/4 rules" in err.getvalue()
    assert PaymentAlert.objects.count() == 1


def test_the_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="expected YYYY-MM-DD"):
        call_command("payments_audit", "--date", "2024-13-01")


def test_the_audit_is_a_daily_billing_job_that_checks_yesterday(settings, dev_gateway):
    # given
    settings.PAYMENTS_AUDIT_FAILED_PER_ACCOUNT = 2
    closed_orders_of_one_account(2)

    # when
    tasks.payments_audit.apply(args=[today().isoformat()])
    tasks.payments_audit.apply()  # yesterday: nothing

    # then
    job = next(
        job
        for job in periodic_jobs_of("billing")
        if job.task == "billing.tasks.payments_audit"
    )
    assert (job.minute, job.hour) == ("30", "2")
    assert PaymentAlert.objects.count() == 1


def staff_of(hospital) -> User:
    user = User.objects.create_user(
        username=f"auditor{hospital.pk}",
        role=User.Role.HOSPITAL_STAFF,
        hospital=hospital,
        is_staff=True,
    )
    user.user_permissions.add(Permission.objects.get(codename="view_paymentalert"))
    return user


def test_staff_see_their_hospitals_alerts_read_only_and_the_platform_sees_all(
    client, settings, wechatpay, dev_gateway
):
    # given: an alert at hospital A, one at hospital B, one across hospitals
    settings.PAYMENTS_AUDIT_FAILED_PER_ACCOUNT = 2
    ours = refused_wechat_payment(wechatpay)
    refused_wechat_payment(wechatpay)
    closed_orders_of_one_account(2)
    payments_audit_run(day=today())
    own = PaymentAlert.objects.get(order=ours)

    # when
    client.force_login(staff_of(ours.appointment.hospital))
    listing = client.get(reverse("admin:billing_paymentalert_changelist"))
    page = client.get(reverse("admin:billing_paymentalert_change", args=[own.pk]))
    post = client.post(
        reverse("admin:billing_paymentalert_change", args=[own.pk]),
        {"detail": "changed"},
    )
    client.force_login(User.objects.create_superuser(username="root", password="x"))
    everything = client.get(reverse("admin:billing_paymentalert_changelist"))

    # then
    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [own]
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert post.status_code == 403
    own.refresh_from_db()
    assert own.detail != "changed"
    assert everything.context["cl"].queryset.count() == 3


def test_the_rules_read_in_chinese():
    with translation.override("zh-hans"):
        assert str(Rule.AMOUNT_MISMATCH.label) == "实付金额与订单不符"
        assert str(PaymentAlert._meta.verbose_name) == "异常支付"
