"""The consult admin: one hospital's offers, consults and reports for its staff; the text
only with the permission to read it, each reading logged; decisions through services."""

import pytest
from django.urls import reverse

from accounts.models import User
from common.models import OperationLog
from common.services import Actor
from consult.models import ConsultAccess, ConsultMessage, ConsultOffer, MessageReport
from consult.services.messages import message_send
from consult.services.reports import message_report_create
from tests.accounts.factories import UserFactory
from tests.consult.factories import consult_for, offering_doctor
from tests.records.factories import doctor_with_login, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported():
    doctor = offering_doctor()
    consult = consult_for(doctor=doctor, problem="后台才能看到的问题")
    reply = message_send(
        actor=Actor.system(),
        consult=consult,
        sender="doctor",
        user=doctor.user,
        text="后台才能看到的回复",
    )
    report = message_report_create(
        actor=Actor.system(),
        user=consult.user,
        side="patient",
        message=reply,
        reason="abuse",
    )
    return consult, reply, report


def _platform_admin() -> User:
    return UserFactory(role=User.Role.PLATFORM_ADMIN, is_staff=True)


def test_staff_see_their_hospitals_consult_without_its_text(client, reported):
    consult, _reply, _report = reported
    client.force_login(staff_of(consult.hospital))

    listing = client.get(reverse("admin:consult_consult_changelist"))
    page = client.get(reverse("admin:consult_consult_change", args=[consult.pk]))

    assert listing.status_code == 200
    assert page.status_code == 200
    html = page.content.decode()
    assert consult.profile.name in html
    assert "recalled at" in html.lower()  # the messages are listed, without their text
    assert "后台才能看到的问题" not in html
    assert "后台才能看到的回复" not in html
    assert 'name="_save"' not in html
    assert ConsultAccess.objects.exists() is False


def test_a_reader_with_the_permission_sees_the_text_and_is_logged(client, reported):
    consult, _reply, _report = reported
    reader = _platform_admin()
    client.force_login(reader)

    page = client.get(reverse("admin:consult_consult_change", args=[consult.pk]))

    html = page.content.decode()
    assert "后台才能看到的问题" in html
    assert "后台才能看到的回复" in html
    access = ConsultAccess.objects.get()
    assert (access.reader, access.consult, access.what, access.role) == (
        reader,
        consult,
        "transcript",
        "platform_admin",
    )


def test_staff_of_another_hospital_see_no_consult_and_no_report(client, reported):
    consult, _reply, report = reported
    client.force_login(staff_of(doctor_with_login().hospital))

    consults = client.get(reverse("admin:consult_consult_changelist"))
    reports = client.get(reverse("admin:consult_messagereport_changelist"))
    page = client.get(reverse("admin:consult_consult_change", args=[consult.pk]))

    assert f"/change/{consult.pk}/" not in consults.content.decode()
    assert consults.context["cl"].result_count == 0
    assert reports.context["cl"].result_count == 0
    assert page.status_code == 302


def test_a_doctor_has_no_consult_admin(client, reported):
    consult, _reply, _report = reported
    client.force_login(consult.doctor.user)

    assert client.get(reverse("admin:consult_consult_changelist")).status_code == 403


def test_staff_change_an_offers_fee_in_yuan_through_the_service(client):
    doctor = offering_doctor(fee=0)
    offer = ConsultOffer.objects.get(doctor=doctor)
    client.force_login(staff_of(doctor.hospital))

    response = client.post(
        reverse("admin:consult_consultoffer_change", args=[offer.pk]),
        {"enabled": "on", "fee": "25.50", "daily_cap": "8", "reply_hours": "12"},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    offer.refresh_from_db()
    assert (offer.fee, offer.daily_cap, offer.reply_hours, offer.enabled) == (
        2550,
        8,
        12,
        True,
    )
    log = OperationLog.objects.filter(action="consult.offer_set").latest("pk")
    assert log.summary == "enabled=True fee=2550 cap=8 hours=12"


def test_staff_of_another_hospital_cannot_change_the_offer(client):
    doctor = offering_doctor(fee=0)
    offer = ConsultOffer.objects.get(doctor=doctor)
    client.force_login(staff_of(doctor_with_login().hospital))

    response = client.post(
        reverse("admin:consult_consultoffer_change", args=[offer.pk]),
        {"enabled": "on", "fee": "99", "daily_cap": "8", "reply_hours": "12"},
    )

    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.fee == 0


def test_a_reviewer_sees_the_reported_message_and_the_reading_is_logged(
    client, reported
):
    consult, _reply, report = reported
    staff = staff_of(consult.hospital)
    client.force_login(staff)

    page = client.get(reverse("admin:consult_messagereport_change", args=[report.pk]))

    assert "后台才能看到的回复" in page.content.decode()
    assert "后台才能看到的问题" not in page.content.decode()
    access = ConsultAccess.objects.get()
    assert (access.reader, access.what) == (staff, "reported")


def test_the_hide_action_hides_the_message_and_upholds_the_report(client, reported):
    consult, reply, report = reported
    staff = staff_of(consult.hospital)
    client.force_login(staff)

    response = client.post(
        reverse("admin:consult_messagereport_changelist"),
        {"action": "hide_message", "_selected_action": [report.pk]},
    )

    assert response.status_code == 302
    reply = ConsultMessage.objects.get(pk=reply.pk)
    assert reply.hidden_at is not None
    assert reply.recalled_at == reply.hidden_at
    report.refresh_from_db()
    assert (report.status, report.reviewed_by) == ("upheld", staff)
    log = OperationLog.objects.get(action="consult.message_hide")
    assert log.summary == f"report {report.pk}: abuse"


def test_the_dismiss_action_decides_a_pending_report_once(client, reported):
    consult, _reply, report = reported
    client.force_login(staff_of(consult.hospital))
    url = reverse("admin:consult_messagereport_changelist")

    client.post(url, {"action": "dismiss", "_selected_action": [report.pk]})
    client.post(url, {"action": "uphold", "_selected_action": [report.pk]})

    assert MessageReport.objects.get().status == "dismissed"
    assert (
        OperationLog.objects.filter(
            action__in=["consult.report_upheld", "consult.report_dismissed"]
        ).count()
        == 1
    )


def test_staff_filter_their_consults_by_doctor_and_status(client):
    doctor, colleague = offering_doctor(), offering_doctor()
    mine = consult_for(doctor=doctor)
    consult_for(doctor=colleague)  # another hospital's
    client.force_login(staff_of(doctor.hospital))
    url = reverse("admin:consult_consult_changelist")

    by_doctor = client.get(url, {"doctor__id__exact": doctor.pk, "status": "waiting"})
    page = client.get(url)

    assert [c.pk for c in by_doctor.context["cl"].result_list] == [mine.pk]
    assert colleague.name not in page.content.decode()
