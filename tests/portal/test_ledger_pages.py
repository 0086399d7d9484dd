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
