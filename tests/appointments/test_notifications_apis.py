"""The in-app inbox API and the per-appointment reminder switch."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from appointments.models import Appointment, Notification
from appointments.notifications.delivery import notification_create
from appointments.services import appointment_cancel
from common.models import OperationLog
from tests.appointments.factories import PatientUserFactory
from tests.appointments.notification_helpers import ACTOR, appointment_at, at

pytestmark = pytest.mark.django_db

NOW = at(2026, 3, 9, 7, 0)
VISIT = at(2026, 3, 11, 9, 30)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def message(user, n: int, *, minutes_ago: int = 0) -> Notification:
    return notification_create(
        user_id=user.pk,
        event="refund_done",
        dedupe_key=f"test:{user.pk}:{n}",
        context={"patient": "张三", "amount": f"{n}.00", "order_no": f"X{n}"},
        now=NOW - datetime.timedelta(minutes=minutes_ago),
    )


# -- inbox ---------------------------------------------------------------------------------


def test_the_inbox_lists_the_users_notifications_newest_first(
    api_client, frozen, django_assert_num_queries
):
    # given: three of mine (created a minute apart), one of someone else's
    user = PatientUserFactory()
    for n in (1, 2, 3):
        frozen.move_to(NOW + datetime.timedelta(minutes=n))
        message(user, n)
    message(PatientUserFactory(), 9)
    api_client.force_authenticate(user)

    # when
    with django_assert_num_queries(2):  # count + page
        response = api_client.get(
            reverse("api:appointments:notification-list"), {"page_size": 2}
        )

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [item["body"] for item in body["results"]] == [
        "张三: 3.00 yuan of order X3 has been refunded.",
        "张三: 2.00 yuan of order X2 has been refunded.",
    ]
    newest = Notification.objects.get(dedupe_key=f"test:{user.pk}:3")
    assert body["results"][0] == {
        "id": newest.pk,
        "event": "refund_done",
        "event_display": "Refund completed",
        "title": "Refund completed",
        "body": "张三: 3.00 yuan of order X3 has been refunded.",
        "page": "pages/appointment/detail?id=",
        "appointment_id": None,
        "is_read": False,
        "read_at": None,
        "created_at": "2026-03-09T07:03:00+08:00",
    }


def test_the_inbox_shows_a_notification_before_it_is_delivered(api_client):
    # given: a cancel whose message was not sent yet (no task ran)
    appointment = appointment_at(VISIT)
    appointment_cancel(actor=ACTOR, appointment=appointment)
    api_client.force_authenticate(appointment.user)

    response = api_client.get(reverse("api:appointments:notification-list"))

    [item] = response.json()["results"]
    assert item["event"] == "cancelled"
    assert item["appointment_id"] == appointment.pk
    assert Notification.objects.get(pk=item["id"]).status == "pending"


def test_the_unread_count_counts_only_my_unread_notifications(api_client):
    user = PatientUserFactory()
    read = message(user, 1)
    Notification.objects.filter(pk=read.pk).update(read_at=NOW)
    message(user, 2)
    message(user, 3)
    message(PatientUserFactory(), 4)
    api_client.force_authenticate(user)

    response = api_client.get(reverse("api:appointments:notification-unread-count"))

    assert response.status_code == 200
    assert response.json() == {"unread": 2}


def test_marking_one_read_keeps_the_first_time(api_client, frozen):
    user = PatientUserFactory()
    notification = message(user, 1)
    api_client.force_authenticate(user)
    url = reverse(
        "api:appointments:notification-read",
        kwargs={"notification_id": notification.pk},
    )

    first = api_client.post(url)
    frozen.move_to(NOW + datetime.timedelta(hours=1))
    second = api_client.post(url)

    assert first.status_code == 200
    assert first.json()["is_read"] is True
    assert first.json()["read_at"] == "2026-03-09T07:00:00+08:00"
    assert second.json()["read_at"] == "2026-03-09T07:00:00+08:00"
    notification.refresh_from_db()
    assert notification.read_at == NOW


def test_someone_elses_notification_answers_404_and_stays_unread(api_client):
    notification = message(PatientUserFactory(), 1)
    api_client.force_authenticate(PatientUserFactory())

    response = api_client.post(
        reverse(
            "api:appointments:notification-read",
            kwargs={"notification_id": notification.pk},
        )
    )

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "notification_not_found",
            "message": "Notification not found.",
            "fields": {},
        }
    }
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_marks_only_mine(api_client):
    user = PatientUserFactory()
    message(user, 1)
    message(user, 2)
    theirs = message(PatientUserFactory(), 3)
    api_client.force_authenticate(user)
    url = reverse("api:appointments:notification-read-all")

    first = api_client.post(url)
    second = api_client.post(url)

    assert first.json() == {"marked": 2}
    assert second.json() == {"marked": 0}
    assert Notification.objects.filter(user=user, read_at=NOW).count() == 2
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_needs_a_login(api_client):
    responses = [
        api_client.get(reverse("api:appointments:notification-list")),
        api_client.get(reverse("api:appointments:notification-unread-count")),
        api_client.post(reverse("api:appointments:notification-read-all")),
    ]

    assert [r.status_code for r in responses] == [401, 401, 401]


# -- reminder switch -----------------------------------------------------------------------


def reminders_url(appointment) -> str:
    return reverse(
        "api:appointments:reminders", kwargs={"appointment_id": appointment.pk}
    )


def test_the_patient_switches_reminders_off_and_on(api_client):
    appointment = appointment_at(VISIT)
    api_client.force_authenticate(appointment.user)

    off = api_client.post(reminders_url(appointment), {"enabled": False}, format="json")
    appointment.refresh_from_db()
    assert appointment.reminders_enabled is False
    on = api_client.post(reminders_url(appointment), {"enabled": True}, format="json")

    assert (off.status_code, on.status_code) == (200, 200)
    assert off.json()["reminders_enabled"] is False
    assert on.json()["reminders_enabled"] is True
    appointment.refresh_from_db()
    assert appointment.reminders_enabled is True
    assert list(
        OperationLog.objects.filter(object_id=str(appointment.pk))
        .filter(action__startswith="appointment.reminders")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["appointment.reminders_off", "appointment.reminders_on"]


def test_someone_elses_appointment_reminders_answer_404_and_stay_on(api_client):
    appointment = appointment_at(VISIT)
    api_client.force_authenticate(PatientUserFactory())

    response = api_client.post(
        reminders_url(appointment), {"enabled": False}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "appointment_not_found"
    appointment.refresh_from_db()
    assert appointment.reminders_enabled is True


def test_reminders_of_a_cancelled_appointment_cannot_be_changed(api_client):
    appointment = appointment_at(VISIT)
    appointment_cancel(actor=ACTOR, appointment=appointment)
    api_client.force_authenticate(appointment.user)

    response = api_client.post(
        reminders_url(appointment), {"enabled": False}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "not_upcoming",
            "message": "Reminders can only be changed for upcoming appointments.",
            "fields": {},
        }
    }
    assert Appointment.objects.get(pk=appointment.pk).reminders_enabled is True


@pytest.mark.parametrize("payload", [{}, {"enabled": "maybe"}, {"enabled": None}])
def test_the_reminder_switch_needs_a_boolean(api_client, payload):
    appointment = appointment_at(VISIT)
    api_client.force_authenticate(appointment.user)

    response = api_client.post(reminders_url(appointment), payload, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["enabled"]
    appointment.refresh_from_db()
    assert appointment.reminders_enabled is True


# -- subscribe-message templates ------------------------------------------------------------


def test_the_subscribe_templates_list_only_the_events_with_a_template(
    api_client, settings
):
    # given: templates configured for two events, none for the others
    events = settings.NOTIFICATIONS["EVENTS"]
    settings.NOTIFICATIONS = {
        **settings.NOTIFICATIONS,
        "EVENTS": {
            event: {
                **conf,
                "template_id": {
                    "booked": "tpl-booked",
                    "refund_done": "tpl-refund",
                }.get(event, ""),
            }
            for event, conf in events.items()
        },
    }
    api_client.force_authenticate(PatientUserFactory())

    # when
    response = api_client.get(
        reverse("api:appointments:notification-subscribe-templates")
    )

    # then: in the order of the events, with their names
    assert response.status_code == 200
    assert response.json() == {
        "templates": [
            {
                "event": "booked",
                "event_display": "Booking confirmed",
                "template_id": "tpl-booked",
            },
            {
                "event": "refund_done",
                "event_display": "Refund completed",
                "template_id": "tpl-refund",
            },
        ]
    }


def test_the_subscribe_templates_need_a_login(api_client):
    response = api_client.get(
        reverse("api:appointments:notification-subscribe-templates")
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
