"""The doctor's online consult pages (consult.workspace): sign-in and scope, the list
(waiting first, with the deadline; by status; pages), the conversation (reply, poll,
recall, close), quick replies (insert, add, edit, delete, limit) and the offer (fee in
yuan kept in fen); refusals shown on the page; CSRF."""

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.services import Actor
from consult.models import Consult, ConsultMessage, ConsultOffer, QuickReply
from consult.services.consults import consult_close
from consult.services.images import problem_image_add
from consult.services.messages import message_send
from consult.services.offers import QUICK_REPLIES_MAX, quick_reply_create
from tests.accounts.factories import PatientProfileFactory, StaffFactory
from tests.consult.factories import consult_for, offering_doctor
from tests.consult.image_files import png
from tests.records.factories import doctor_with_login

pytestmark = pytest.mark.django_db
S = Consult.Status
ACTOR = Actor.system()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def doctor():
    return offering_doctor()


@pytest.fixture
def client(doctor) -> Client:
    return signed_in(doctor.user)


def _url(name: str, *args) -> str:
    return reverse(f"consult_workspace:{name}", args=args)


# -- sign-in and scope ---------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_admin_login_and_back():
    response = Client().get(_url("consults"))

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/workspace/consults/"


def test_patients_and_hospital_staff_get_403(doctor):
    consult = consult_for(doctor=doctor)

    assert signed_in(consult.user).get(_url("consults")).status_code == 403
    staff = signed_in(StaffFactory(hospital=doctor.hospital))
    assert staff.get(_url("consults")).status_code == 403
    assert staff.get(_url("consult", consult.pk)).status_code == 403


def test_a_doctor_without_the_second_factor_is_sent_to_the_admin_login(
    settings, doctor
):
    settings.STAFF_REQUIRE_OTP = True

    response = signed_in(doctor.user).get(_url("consults"))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_another_doctors_consult_answers_404_on_every_page(client, doctor):
    colleague = offering_doctor()
    theirs = consult_for(doctor=colleague)
    message = message_send(
        actor=ACTOR,
        consult=theirs,
        sender="doctor",
        user=colleague.user,
        text="别人的回复",
    )
    gets = [_url("consult", theirs.pk), _url("messages", theirs.pk) + "?after=0"]
    posts = [
        (_url("send", theirs.pk), {"text": "hi"}),
        (_url("close", theirs.pk), {}),
        (_url("recall", message.pk), {}),
    ]

    statuses = [client.get(url).status_code for url in gets]
    statuses += [client.post(url, data).status_code for url, data in posts]

    assert statuses == [404] * 5
    theirs.refresh_from_db()
    message.refresh_from_db()
    assert (theirs.status, message.recalled_at) == (S.IN_PROGRESS, None)
    assert ConsultMessage.objects.count() == 1


def test_another_doctors_quick_reply_answers_404(client, doctor):
    theirs = quick_reply_create(doctor=offering_doctor(), text="他人的")
    mine = consult_for(doctor=doctor)

    edit = client.post(_url("quick-reply-edit", theirs.pk), {f"r{theirs.pk}-text": "x"})
    delete = client.post(_url("quick-reply-delete", theirs.pk))
    prefill = client.get(_url("consult", mine.pk), {"quick": theirs.pk})

    assert (edit.status_code, delete.status_code) == (404, 404)
    assert prefill.status_code == 404
    assert QuickReply.objects.get().text == "他人的"


def test_the_workspace_menu_links_the_consults_for_doctors_only(doctor):
    staff = StaffFactory(hospital=doctor.hospital)

    mine = signed_in(doctor.user).get("/workspace/").content.decode()
    theirs = signed_in(staff).get("/workspace/").content.decode()

    assert _url("consults") in mine
    assert _url("consults") not in theirs


# -- the list -----------------------------------------------------------------------------


def test_the_list_shows_my_consults_waiting_first_by_the_nearest_deadline(
    client, doctor
):
    earlier = consult_for(doctor=doctor, problem="先问的")
    later = consult_for(doctor=doctor, problem="后问的")
    Consult.objects.filter(pk=earlier.pk).update(
        reply_deadline=timezone.now() + datetime.timedelta(hours=1)
    )
    talking = consult_for(doctor=doctor)
    message_send(
        actor=ACTOR, consult=talking, sender="doctor", user=doctor.user, text="您好"
    )
    done = consult_for(doctor=doctor)
    consult_close(actor=ACTOR, consult=done, by="doctor")
    consult_for(doctor=offering_doctor())  # another doctor's

    response = client.get(_url("consults"))

    assert response.status_code == 200
    assert [c.pk for c in response.context["page"]] == [
        earlier.pk,
        later.pk,
        talking.pk,
        done.pk,
    ]
    body = response.content.decode()
    deadline = timezone.localtime(
        Consult.objects.get(pk=earlier.pk).reply_deadline
    ).strftime("%Y-%m-%d %H:%M")
    assert deadline in body
    assert "先问的" in body


def test_the_list_filters_by_status_and_has_pages():
    doctor = offering_doctor(daily_cap=30)
    client = signed_in(doctor.user)
    for _ in range(3):
        consult_for(doctor=doctor)
    closed = consult_for(doctor=doctor)
    consult_close(actor=ACTOR, consult=closed, by="doctor")
    for _ in range(18):
        consult_for(doctor=doctor)

    only_closed = client.get(_url("consults"), {"status": "closed"})
    second = client.get(_url("consults"), {"page": 2})
    bad = client.get(_url("consults"), {"status": "nonsense"})

    assert [c.pk for c in only_closed.context["page"]] == [closed.pk]
    assert len(second.context["page"]) == 2
    assert bad.status_code == 400


# -- the conversation ---------------------------------------------------------------------


def test_the_doctor_replies_and_the_consult_starts(client, doctor):
    consult = consult_for(doctor=doctor, problem="发烧两天")

    page = client.get(_url("consult", consult.pk))
    response = client.post(_url("send", consult.pk), {"text": "请测量体温"})

    assert page.status_code == 200
    assert "发烧两天" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == _url("consult", consult.pk) + "#send"
    consult.refresh_from_db()
    assert consult.status == S.IN_PROGRESS
    message = ConsultMessage.objects.get()
    assert (message.sender, message.text) == ("doctor", "请测量体温")


def test_an_empty_reply_is_shown_with_its_error_and_nothing_sent(client, doctor):
    consult = consult_for(doctor=doctor)

    page = client.post(_url("send", consult.pk), {"text": ""})
    part = client.post(
        _url("send", consult.pk), {"text": " "}, headers={"HX-Request": "true"}
    )

    assert page.status_code == 400
    assert "A message cannot be empty." in page.content.decode()
    assert "Quick replies" in page.content.decode()  # the whole page
    assert part.status_code == 400
    assert part.content.decode().startswith("<form")
    assert ConsultMessage.objects.count() == 0


def test_the_poll_brings_the_patients_new_messages(client, doctor):
    consult = consult_for(doctor=doctor)
    first = message_send(
        actor=ACTOR, consult=consult, sender="patient", user=consult.user, text="一"
    )
    message_send(
        actor=ACTOR, consult=consult, sender="patient", user=consult.user, text="二"
    )

    response = client.get(
        _url("messages", consult.pk), {"after": first.pk, "status": "waiting"}
    )

    body = response.content.decode()
    assert ">二<" in body
    assert ">一<" not in body
    assert consult.profile.name in body


def test_the_doctor_recalls_a_reply_and_closes(client, doctor):
    consult = consult_for(doctor=doctor)
    reply = message_send(
        actor=ACTOR, consult=consult, sender="doctor", user=doctor.user, text="错字"
    )

    recall = client.post(_url("recall", reply.pk))
    close = client.post(_url("close", consult.pk))
    again = client.post(_url("close", consult.pk), follow=True)

    reply.refresh_from_db()
    consult.refresh_from_db()
    assert (recall.status_code, close.status_code) == (302, 302)
    assert reply.recalled_at is not None
    assert (consult.status, consult.closed_by) == (S.CLOSED, "doctor")
    assert "This consult is not open." in again.content.decode()


def test_the_patients_message_cannot_be_recalled_by_the_doctor(client, doctor):
    consult = consult_for(doctor=doctor)
    theirs = message_send(
        actor=ACTOR, consult=consult, sender="patient", user=consult.user, text="你好"
    )

    assert client.post(_url("recall", theirs.pk)).status_code == 404


# -- quick replies ------------------------------------------------------------------------


def test_a_quick_reply_link_puts_its_text_in_the_message_box(client, doctor):
    consult = consult_for(doctor=doctor)
    reply = quick_reply_create(doctor=doctor, text="请多喝水，注意休息")

    page = client.get(_url("consult", consult.pk)).content.decode()
    filled = client.get(_url("consult", consult.pk), {"quick": reply.pk})

    assert (
        f'href="?quick={reply.pk}#send" data-quick-reply="请多喝水，注意休息"' in page
    )
    assert ">请多喝水，注意休息</textarea>" in filled.content.decode()


def test_the_doctor_adds_edits_and_deletes_quick_replies(client, doctor):
    added = client.post(_url("quick-reply-add"), {"new-text": "请上传检查报告"})
    reply = QuickReply.objects.get()
    edited = client.post(
        _url("quick-reply-edit", reply.pk), {f"r{reply.pk}-text": "请上传化验单"}
    )
    page = client.get(_url("quick-replies")).content.decode()
    deleted = client.post(_url("quick-reply-delete", reply.pk))

    assert (added.status_code, edited.status_code, deleted.status_code) == (
        302,
        302,
        302,
    )
    assert "请上传化验单" in page
    assert reply.doctor == doctor
    assert QuickReply.objects.count() == 0


def test_a_blank_quick_reply_and_one_over_the_limit_are_refused(client, doctor):
    for n in range(QUICK_REPLIES_MAX):
        quick_reply_create(doctor=doctor, text=f"回复{n}")
    first = QuickReply.objects.first()

    blank = client.post(_url("quick-reply-add"), {"new-text": " "})
    too_many = client.post(_url("quick-reply-add"), {"new-text": "再来一条"})
    blank_edit = client.post(
        _url("quick-reply-edit", first.pk), {f"r{first.pk}-text": ""}
    )

    assert blank.status_code == 400
    assert too_many.status_code == 409
    assert (
        f"A doctor keeps at most {QUICK_REPLIES_MAX} quick replies."
        in too_many.content.decode()
    )
    assert blank_edit.status_code == 400
    assert "This field is required." in blank_edit.content.decode()
    assert QuickReply.objects.count() == QUICK_REPLIES_MAX
    first.refresh_from_db()
    assert first.text == "回复0"


# -- the offer ----------------------------------------------------------------------------


def test_the_offer_form_shows_the_fee_in_yuan_and_stores_fen():
    doctor = doctor_with_login()
    client = signed_in(doctor.user)

    empty = client.get(_url("offer"))
    saved = client.post(
        _url("offer"),
        {"enabled": "on", "fee": "12.50", "daily_cap": "8", "reply_hours": "6"},
    )
    shown = client.get(_url("offer"))

    assert empty.status_code == 200
    assert empty.context["form"]["fee"].value() == "0.00"
    assert saved.status_code == 302
    offer = ConsultOffer.objects.get(doctor=doctor)
    assert (offer.enabled, offer.fee, offer.daily_cap, offer.reply_hours) == (
        True,
        1250,
        8,
        6,
    )
    assert 'value="12.50"' in shown.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"fee": "12.345"}, "fee"),
        ({"fee": "-1"}, "fee"),
        ({"fee": "100000.01"}, "fee"),
        ({"daily_cap": "0"}, "daily_cap"),
        ({"reply_hours": "169"}, "reply_hours"),
    ],
)
def test_bad_offer_input_is_shown_and_nothing_changes(client, doctor, data, field):
    before = ConsultOffer.objects.get(doctor=doctor)
    post = {"enabled": "on", "fee": "10", "daily_cap": "5", "reply_hours": "24"}

    response = client.post(_url("offer"), post | data)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    after = ConsultOffer.objects.get(doctor=doctor)
    assert (after.fee, after.daily_cap, after.reply_hours) == (
        before.fee,
        before.daily_cap,
        before.reply_hours,
    )


def test_turning_the_offer_off_hides_it_from_patients(client, doctor):
    client.post(_url("offer"), {"fee": "0", "daily_cap": "5", "reply_hours": "24"})

    page = Client().get(reverse("portal:doctor", args=[doctor.pk])).content.decode()

    assert ConsultOffer.objects.get(doctor=doctor).enabled is False
    assert reverse("portal:consult-start", args=[doctor.pk]) not in page


def test_every_consult_page_write_needs_the_csrf_token(doctor):
    consult = consult_for(doctor=doctor, profile=PatientProfileFactory())
    reply = quick_reply_create(doctor=doctor, text="稍等")
    mine = message_send(
        actor=ACTOR, consult=consult, sender="doctor", user=doctor.user, text="您好"
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(doctor.user)
    writes = [
        (_url("send", consult.pk), {"text": "在吗"}),
        (_url("recall", mine.pk), {}),
        (_url("close", consult.pk), {}),
        (_url("quick-reply-add"), {"new-text": "新"}),
        (_url("quick-reply-edit", reply.pk), {f"r{reply.pk}-text": "改"}),
        (_url("quick-reply-delete", reply.pk), {}),
        (_url("offer"), {"fee": "1", "daily_cap": "1", "reply_hours": "1"}),
    ]

    statuses = [client.post(url, data).status_code for url, data in writes]

    assert statuses == [403] * len(writes)
    assert ConsultMessage.objects.count() == 1
    consult.refresh_from_db()
    assert consult.status == S.IN_PROGRESS
    assert list(QuickReply.objects.values_list("text", flat=True)) == ["稍等"]
    assert ConsultOffer.objects.get(doctor=doctor).fee == 0


# -- images ----------------------------------------------------------------------------------


def _image_file(content: bytes, name: str = "photo.png") -> dict:
    file = io.BytesIO(content)
    file.name = name
    return {"image": file}


def test_the_doctor_sends_an_image_and_sees_the_patients_problem_images(
    client, doctor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    consult = consult_for(doctor=doctor)
    problem_image_add(actor=ACTOR, consult=consult, user=consult.user, content=png())
    page = client.get(_url("consult", consult.pk)).content.decode()
    assert 'accept="image/jpeg,image/png,image/webp"' in page
    assert 'class="image-grid"><li><img src="/api/v1/consult/images/' in page
    assert reverse("portal:consult-problem-image", args=[consult.pk]) not in page

    response = client.post(_url("send-image", consult.pk), _image_file(png()))

    assert response.status_code == 302
    message = ConsultMessage.objects.get()
    assert (message.sender, message.kind) == ("doctor", "image")
    page = client.get(_url("consult", consult.pk)).content.decode()
    assert 'class="msg-image"><img src="/api/v1/consult/images/' in page


def test_the_doctors_wrong_image_is_refused_on_the_form_and_not_stored(
    client, doctor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    consult = consult_for(doctor=doctor)

    response = client.post(
        _url("send-image", consult.pk), _image_file(b"GIF89a not really", "x.gif")
    )

    assert response.status_code == 400
    assert "Only JPEG, PNG and WebP images are accepted." in response.content.decode()
    assert ConsultMessage.objects.count() == 0
    assert not any(p.is_file() for p in (tmp_path / "media").rglob("*"))


def test_another_doctors_consult_refuses_an_image_with_404(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    theirs = consult_for(doctor=offering_doctor())

    response = client.post(_url("send-image", theirs.pk), _image_file(png()))

    assert response.status_code == 404
    assert ConsultMessage.objects.count() == 0
