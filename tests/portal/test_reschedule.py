"""改约 in the portal: the link on the detail page, the other slots, the confirm page with
the fee difference (same, refund, top-up, an unpaid hold's fee), the move and what the
detail page shows after; refusals on the page with nothing changed; 404; CSRF; login."""

import datetime
import itertools

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import MemberLevel
from appointments.models import Appointment
from appointments.services import appointment_book, appointment_cancel
from billing.models import PaymentOrder, Refund
from billing.services import payment_order_dev_pay
from billing.services.orders import payment_order_open
from common.services import Actor
from scheduling.models import BookingRule, Slot
from tests.accounts.factories import PatientProfileFactory
from tests.hospitals.factories import DepartmentFactory, DoctorFactory
from tests.portal.conftest import signed_in
from tests.scheduling.factories import SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]
ACTOR = Actor.system()
S = Appointment.Status
_days = itertools.count(3)


@pytest.fixture(autouse=True)
def _dev_gateway(settings):
    settings.PAYMENTS_DEV_GATEWAY = True


@pytest.fixture
def profile():
    return PatientProfileFactory(name="张三")


@pytest.fixture
def client(profile) -> Client:
    return signed_in(profile.user)


@pytest.fixture
def doctor():
    return DoctorFactory(name="李医生", fee=2000)


def priced(doctor, fee: int, **kwargs) -> Slot:
    """A slot of `doctor` at `fee`, in a session of its own on a later day."""
    date = timezone.localdate() + datetime.timedelta(days=next(_days))
    return SlotFactory(
        session__doctor=doctor, session__date=date, session__fee=fee, **kwargs
    )


def booked(profile, slot, *, paid: bool) -> Appointment:
    appointment = appointment_book(
        actor=ACTOR, user=profile.user, profile=profile, slot=slot
    )
    if paid:
        order = payment_order_open(appointment=appointment, channel="dev", actor=ACTOR)
        payment_order_dev_pay(order=order, actor=ACTOR)
    return Appointment.objects.get(pk=appointment.pk)


def slots_url(appointment) -> str:
    return reverse("portal:reschedule", args=[appointment.pk])


def confirm_url(appointment, slot) -> str:
    return reverse("portal:reschedule-confirm", args=[appointment.pk, slot.pk])


def detail(client, appointment) -> str:
    url = reverse("portal:appointment", args=[appointment.pk])
    return client.get(url).content.decode()


def state(appointment) -> dict:
    """What a refusal must leave as it was."""
    appointment.refresh_from_db()
    return {
        "appointment": (
            appointment.status,
            appointment.slot_id,
            appointment.fee,
            appointment.queue_no,
            appointment.hold_expires_at,
        ),
        "seats": dict(Slot.objects.values_list("pk", "booked")),
        "orders": list(PaymentOrder.objects.values_list("pk", "status", "amount")),
        "refunds": Refund.objects.count(),
    }


def hhmm(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


# -- the way there -----------------------------------------------------------------------


def test_the_detail_page_offers_reschedule_and_lists_the_doctors_other_slots(
    client, profile, doctor
):
    appointment = booked(profile, priced(doctor, 2000), paid=True)
    other = priced(doctor, 2000)
    SlotFactory(session=other.session)  # a second slot in that session

    assert slots_url(appointment) in detail(client, appointment)
    response = client.get(slots_url(appointment))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Your current time" in body
    assert confirm_url(appointment, other) in body
    assert f"Move to {timezone.localtime(other.starts_at):%H:%M} (5 left)" in body
    assert confirm_url(appointment, appointment.slot) not in body
    assert reverse("portal:book", args=[other.pk]) not in body
    assert "¥20.00" in body


def test_the_slots_can_be_filtered_by_date_and_htmx_gets_the_part(
    client, profile, doctor
):
    appointment = booked(profile, priced(doctor, 2000), paid=True)
    first, second = priced(doctor, 2000), priced(doctor, 2000)

    response = client.get(
        slots_url(appointment),
        {"date": f"{second.session.date:%Y-%m-%d}"},
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert confirm_url(appointment, second) in body
    assert confirm_url(appointment, first) not in body
    assert f'action="{slots_url(appointment)}"' in body


# -- the fee cases -------------------------------------------------------------------------


def test_same_fee_moves_the_booking_and_leaves_billing_alone(client, profile, doctor):
    appointment = booked(profile, priced(doctor, 2000), paid=True)
    target = priced(doctor, 2000)

    page = client.get(confirm_url(appointment, target)).content.decode()
    assert "No difference: nothing to pay and nothing refunded." in page
    assert hhmm(appointment.visit_starts_at) in page
    assert hhmm(target.starts_at) in page
    response = client.post(confirm_url(appointment, target))

    assert response.status_code == 302
    assert response.url == reverse("portal:appointment", args=[appointment.pk])
    appointment.refresh_from_db()
    assert (appointment.status, appointment.slot_id) == (S.BOOKED, target.pk)
    assert Refund.objects.count() == 0
    assert PaymentOrder.objects.count() == 1
    body = detail(client, appointment)
    assert f"Moved to {hhmm(target.starts_at)}." in body
    assert hhmm(target.starts_at) in body


def test_a_cheaper_slot_shows_the_refund_before_and_after(
    client, profile, doctor, django_capture_on_commit_callbacks
):
    # a VIP paid 2700 for 3000; at 2000 they pay 1800: 900 back
    profile.user.member_level = MemberLevel.objects.get(code="vip")
    profile.user.save(update_fields=["member_level"])
    appointment = booked(profile, priced(doctor, 3000), paid=True)
    target = priced(doctor, 2000)

    page = client.get(confirm_url(appointment, target)).content.decode()
    assert "The difference of ¥9.00 will be refunded" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url(appointment, target))

    assert response.status_code == 302
    [refund] = Refund.objects.all()
    assert (refund.kind, refund.amount) == (Refund.Kind.RESCHEDULE, 900)
    body = detail(client, appointment)
    assert "The difference of ¥9.00 is refunded" in body
    assert refund.get_kind_display() in body
    assert "¥9.00" in body


def test_a_dearer_slot_asks_for_the_difference_and_the_pay_flow_takes_it(
    client, profile, doctor
):
    appointment = booked(profile, priced(doctor, 2000), paid=True)
    target = priced(doctor, 3000)

    page = client.get(confirm_url(appointment, target)).content.decode()
    assert "You will have ¥10.00 more to pay" in page
    response = client.post(confirm_url(appointment, target))

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.fee) == (S.PENDING_PAYMENT, 3000)
    body = detail(client, appointment)
    assert "Please pay the difference of ¥10.00 before" in body
    assert '<dd class="amount-due">¥10.00</dd>' in body
    assert reverse("portal:pay", args=[appointment.pk]) in body
    pay_page = client.get(reverse("portal:pay", args=[appointment.pk]))
    assert '<dd class="amount-due">¥10.00</dd>' in pay_page.content.decode()

    # the existing pay flow opens the top-up for the difference, and it confirms
    response = client.post(
        reverse("portal:pay", args=[appointment.pk]), {"channel": "dev"}
    )
    top_up = PaymentOrder.objects.latest("pk")
    assert (top_up.original_amount, top_up.amount) == (3000, 1000)
    client.post(response.url)
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED
    assert "amount-due" not in detail(client, appointment)


def test_an_unpaid_hold_owes_the_new_fee(client, profile, doctor):
    appointment = booked(profile, priced(doctor, 2000), paid=False)
    target = priced(doctor, 3000)

    page = client.get(confirm_url(appointment, target)).content.decode()
    assert "You will have ¥30.00 to pay for the new time." in page
    client.post(confirm_url(appointment, target))

    appointment.refresh_from_db()
    assert (appointment.status, appointment.slot_id) == (S.PENDING_PAYMENT, target.pk)
    body = detail(client, appointment)
    assert "Please pay ¥30.00 before" in body
    assert '<dd class="amount-due">¥30.00</dd>' in body


# -- refusals --------------------------------------------------------------------------------


def test_past_the_deadline_there_is_no_link_and_the_pages_refuse_in_chinese(
    client, profile, doctor, settings
):
    appointment = booked(profile, priced(doctor, 2000), paid=True)
    target = priced(doctor, 2000)
    BookingRule.objects.update_or_create(
        hospital=doctor.hospital, defaults={"cancel_deadline_minutes": 30 * 24 * 60}
    )
    before = state(appointment)
    settings.LANGUAGE_CODE = "zh-hans"

    with translation.override("zh-hans"):
        assert slots_url(appointment) not in detail(client, appointment)
        listing = client.get(slots_url(appointment), headers={"HX-Request": "true"})
        posted = client.post(confirm_url(appointment, target))

    assert listing.status_code == posted.status_code == 409
    for response in (listing, posted):
        body = response.content.decode()
        assert "该预约的改约已于" in body
        assert "截止" in body
    assert confirm_url(appointment, target) not in listing.content.decode()
    assert "<html" in listing.content.decode()  # the refusal is a whole page
    assert state(appointment) == before


def test_a_cancelled_booking_cannot_be_moved(client, profile, doctor):
    appointment = booked(profile, priced(doctor, 2000), paid=False)
    appointment_cancel(actor=ACTOR, appointment=appointment)
    target = priced(doctor, 2000)
    before = state(appointment)

    assert slots_url(appointment) not in detail(client, appointment)
    response = client.post(confirm_url(appointment, target))

    assert response.status_code == 409
    assert "Only an upcoming booking that is unpaid or booked" in (
        response.content.decode()
    )
    assert "Move to this time" not in response.content.decode()
    assert state(appointment) == before


@pytest.mark.parametrize("case", ["same_slot", "other_department", "full"])
def test_the_services_refusals_are_shown_and_change_nothing(
    client, profile, doctor, case
):
    appointment = booked(profile, priced(doctor, 2000), paid=True)
    target = {
        "same_slot": lambda: appointment.slot,
        "other_department": lambda: priced(
            DoctorFactory(
                hospital=doctor.hospital,
                department=DepartmentFactory(hospital=doctor.hospital),
            ),
            2000,
        ),
        "full": lambda: priced(doctor, 2000, capacity=1, booked=1),
    }[case]()
    before = state(appointment)
    message = {
        "same_slot": "The booking is already in this slot.",
        "other_department": "A booking can only be moved to the same doctor",
        "full": "This time slot is fully booked.",
    }[case]

    response = client.post(confirm_url(appointment, target))

    assert response.status_code == 409
    body = response.content.decode()
    assert "This could not be done" in body
    assert message in body
    assert state(appointment) == before


# -- access ----------------------------------------------------------------------------------


def test_another_users_booking_is_404_and_stays(profile, doctor):
    appointment = booked(profile, priced(doctor, 2000), paid=True)
    target = priced(doctor, 2000)
    before = state(appointment)
    intruder = signed_in(PatientProfileFactory().user)

    statuses = [
        intruder.get(slots_url(appointment)).status_code,
        intruder.get(confirm_url(appointment, target)).status_code,
        intruder.post(confirm_url(appointment, target)).status_code,
    ]

    assert statuses == [404, 404, 404]
    assert state(appointment) == before


def test_an_unknown_slot_is_404(client, profile, doctor):
    appointment = booked(profile, priced(doctor, 2000), paid=True)
    url = reverse("portal:reschedule-confirm", args=[appointment.pk, 999_999])

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_the_move_needs_the_csrf_token(profile, doctor):
    appointment = booked(profile, priced(doctor, 2000), paid=True)
    target = priced(doctor, 2000)
    before = state(appointment)
    client = Client(enforce_csrf_checks=True)
    client.force_login(profile.user)

    assert client.post(confirm_url(appointment, target)).status_code == 403
    assert state(appointment) == before


def test_anonymous_visitors_are_sent_to_the_login(profile, doctor):
    appointment = booked(profile, priced(doctor, 2000), paid=True)
    target = priced(doctor, 2000)
    before = state(appointment)

    slots, confirm = slots_url(appointment), confirm_url(appointment, target)
    responses = [
        (slots, Client().get(slots)),
        (confirm, Client().get(confirm)),
        (confirm, Client().post(confirm)),
    ]

    for url, response in responses:
        assert response.status_code == 302
        assert response.url == f"{reverse('portal:login')}?next={url}"
    assert Client().post(slots).status_code == 405  # the list is read-only
    assert state(appointment) == before


def test_a_bad_date_filter_is_a_clear_400(client, profile, doctor):
    appointment = booked(profile, priced(doctor, 2000), paid=True)

    response = client.get(slots_url(appointment), {"date": "2000-01-01"})

    assert response.status_code == 400
    assert "Choose a date from today on." in response.content.decode()
