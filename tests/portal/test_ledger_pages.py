"""The portal's 爽约记录与申诉 page: the restriction's reason and date, the records, an
appeal with a file (checked by content), one pending per record, another user's 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from appointments.models import LedgerAppeal, LedgerEntry
from tests.appointments.factories import PatientProfileFactory
from tests.appointments.test_ledger import doctor, restricted
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db
__all__ = ["doctor", "restricted"]  # the fixtures

PDF = b"%PDF-1.4\n" + b"0" * 32


def test_the_page_shows_the_restriction_and_the_records(restricted):
    client = signed_in(restricted.user)
    with translation.override("zh-hans"):
        response = client.get(
            reverse("portal:ledger", args=[restricted.pk]),
            headers={"accept-language": "zh-hans"},
        )
    assert response.status_code == 200
    page = response.content.decode()
    assert "您在90天内爽约3次" in page
    assert page.count('class="card entry"') == 3


def test_an_appeal_with_a_pdf_is_filed_then_a_second_is_refused(restricted):
    client = signed_in(restricted.user)
    entry = LedgerEntry.objects.first()
    url = reverse("portal:ledger-appeal", args=[restricted.pk, entry.pk])
    proof = SimpleUploadedFile("proof.pdf", PDF, "application/pdf")

    response = client.post(url, {"reason": "当天住院", "attachment": proof})

    assert response.status_code == 302
    appeal = LedgerAppeal.objects.get()
    assert (appeal.entry_id, appeal.attachment_content_type) == (
        entry.pk,
        "application/pdf",
    )
    again = client.post(url, {"reason": "再次申诉"})
    assert again.status_code == 409
    assert LedgerAppeal.objects.count() == 1


def test_a_file_that_is_not_what_it_says_is_refused(restricted):
    client = signed_in(restricted.user)
    entry = LedgerEntry.objects.first()
    fake = SimpleUploadedFile("proof.pdf", b"hello", "application/pdf")
    response = client.post(
        reverse("portal:ledger-appeal", args=[restricted.pk, entry.pk]),
        {"reason": "当天住院", "attachment": fake},
    )
    assert response.status_code == 422
    assert LedgerAppeal.objects.exists() is False


def test_another_users_profile_and_records_are_404(restricted):
    stranger = PatientProfileFactory()
    client = signed_in(stranger.user)
    entry = LedgerEntry.objects.first()
    assert client.get(reverse("portal:ledger", args=[restricted.pk])).status_code == 404
    response = client.post(
        reverse("portal:ledger-appeal", args=[stranger.pk, entry.pk]),
        {"reason": "x"},
    )
    assert response.status_code == 404
    assert LedgerAppeal.objects.exists() is False


def test_the_home_and_the_patients_page_lead_to_each_patients_records(restricted):
    client = signed_in(restricted.user)

    home = client.get(reverse("portal:index"))
    patients = client.get(reverse("portal:profiles"))

    assert f'href="{reverse("portal:profiles")}"' in home.text.partition("</nav>")[2]
    assert "No-show records and appeals" in home.text
    assert f'href="{reverse("portal:ledger", args=[restricted.pk])}"' in patients.text


def test_each_records_form_has_its_own_fields_and_a_pending_appeal_says_so(restricted):
    client = signed_in(restricted.user)
    first, *others = LedgerEntry.objects.order_by("pk")
    zh = {"accept-language": "zh-hans"}

    page = client.get(reverse("portal:ledger", args=[restricted.pk]), headers=zh).text
    refused = client.post(
        reverse("portal:ledger-appeal", args=[restricted.pk, first.pk]),
        {"reason": "当天住院", "attachment": SimpleUploadedFile("a.png", b"x")},
        headers=zh,
    ).text

    # a label per field per record, each naming its own record's field
    for entry in (first, *others):
        for field in ("reason", "attachment"):
            html_id = f"id_entry{entry.pk}_{field}"
            assert page.count(f'id="{html_id}"') == 1
            assert page.count(f'for="{html_id}"') == 1
    # the refusal is shown in the record that was appealed, with its reason kept
    card = refused.split('class="card entry"')[1:]
    refused_card = next(c for c in card if f"/ledger/{first.pk}/appeal/" in c)
    assert "仅接受 PDF、JPEG 和 PNG 文件。" in refused_card
    assert "当天住院</textarea>" in refused_card
    assert all("仅接受" not in c for c in card if c is not refused_card)

    with translation.override("zh-hans"):
        client.post(
            reverse("portal:ledger-appeal", args=[restricted.pk, first.pk]),
            {"reason": "当天住院"},
        )
    after = client.get(reverse("portal:ledger", args=[restricted.pk]), headers=zh).text
    assert (
        "申诉: 待处理" in after
    )  # an appeal waits for staff (not the outbox's 待发送)
