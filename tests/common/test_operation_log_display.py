"""The operation log, readable: action labels registered by each app, amounts in yuan,
and the rows that make up an object's history page."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from appointments.services import appointment_book, session_stop
from common.action_labels import action_label, action_labels_all, summary_display
from common.admin import operation_log_about
from common.models import OperationLog
from common.services import Actor, operation_log_write
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import SlotFactory

User = get_user_model()


def test_each_app_registers_labels_for_the_codes_it_writes():
    labels = action_labels_all()

    assert "appointment.checked_in" in labels
    assert "billing.refund_failed" in labels
    with translation.override("zh-hans"):
        assert action_label("appointment.checked_in") == "患者已签到"
        assert action_label("session.stop") == "停诊"


def test_an_unregistered_code_is_shown_as_it_is():
    assert action_label("nobody.registered_this") == "nobody.registered_this"


def test_amounts_in_a_summary_are_shown_in_yuan():
    assert summary_display("stop_clinic 5000 fen order=X: y") == (
        "stop_clinic ¥50.00 order=X: y"
    )
    assert summary_display("refunded 1 of 2050 fen") == "refunded ¥0.01 of ¥20.50"
    assert summary_display("no amount, fence 12") == "no amount, fence 12"


@pytest.mark.django_db
def test_a_sessions_history_holds_its_own_its_slots_and_its_appointments_rows():
    # given
    slot = SlotFactory(session__fee=0)
    other = SlotFactory(session__fee=0)
    profile = PatientProfileFactory()
    appointment = appointment_book(
        actor=Actor.system(), user=profile.user, profile=profile, slot=slot
    )
    session = slot.session
    session_stop(actor=Actor.system(), session=session, reason="doctor ill")
    operation_log_write(actor=Actor.system(), action="slot.x", obj=slot)
    operation_log_write(actor=Actor.system(), action="slot.y", obj=other)

    # when
    rows = list(operation_log_about(session, related=("slots", "appointments")))

    # then
    about = {(row.object_type, row.object_id) for row in rows}
    assert ("scheduling.clinicsession", str(session.pk)) in about
    assert ("scheduling.slot", str(slot.pk)) in about
    assert ("appointments.appointment", str(appointment.pk)) in about
    assert ("scheduling.slot", str(other.pk)) not in about
    assert [r.pk for r in rows] == sorted((r.pk for r in rows), reverse=True)


@pytest.mark.django_db
def test_the_audit_log_list_is_readable_and_has_no_save_button(client):
    # given
    slot = SlotFactory(session__fee=0)
    operation_log_write(
        actor=Actor.system(),
        action="billing.refund_request",
        obj=slot,
        summary="cancel 5000 fen order=1",
    )
    row = OperationLog.objects.get(action="billing.refund_request")
    client.force_login(User.objects.create_superuser(username="root", password="x"))

    # when
    with translation.override("zh-hans"):
        listing = client.get(
            reverse("admin:common_operationlog_changelist"),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        ).content.decode()
        page = client.get(
            reverse("admin:common_operationlog_change", args=[row.pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        ).content.decode()

    # then
    for html in (listing, page):
        assert "发起退款" in html
        assert "¥50.00" in html
        assert "5000 fen" not in html
    assert 'name="_save"' not in page
