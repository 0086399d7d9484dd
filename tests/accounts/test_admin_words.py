"""The accounts and hospitals admins speak Chinese: no English column, filter or label left."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from tests.accounts.factories import (
    PatientProfileFactory,
    StaffFactory,
    default_levels,
)
from tests.hospitals.factories import DoctorFactory

pytestmark = pytest.mark.django_db

# Words that stay as they are in a Chinese admin.
# (Key names as Django's own Chinese help text writes them: "按住 Control 键或 Mac 上的 Command 键".)
ALLOWED = {"ID", "IP", "Logo", "openid", "unionid", "VIP", "Control", "Mac", "Command"}
MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in ("accounts", "hospitals")
)


def _english_words(texts) -> set[str]:
    return {
        word
        for text in texts
        for word in re.findall(r"[A-Za-z]{2,}", str(text))
        if word not in ALLOWED
    }


@pytest.fixture
def people():
    doctor = DoctorFactory()
    default_levels()
    PatientProfileFactory()
    root = User.objects.create_superuser(
        "root", password="x", role=User.Role.PLATFORM_ADMIN
    )
    staff = StaffFactory(hospital=doctor.hospital)
    return root, staff


@pytest.mark.parametrize(("app_label", "model_name"), MODELS)
@pytest.mark.parametrize("who", ["platform", "hospital staff"])
def test_list_columns_and_filters_are_chinese(
    client, people, who, app_label, model_name
):
    # given
    root, staff = people
    client.force_login(root if who == "platform" else staff)
    url = reverse(f"admin:{app_label}_{model_name}_changelist")

    # when
    with translation.override("zh-hans"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code == 403:
            pytest.skip("not shown to this user")
        # (the first column's header is the select-all checkbox, plain HTML)
        headers = [
            h["text"]
            for h in response.context["result_headers"]
            if "<" not in h["text"]
        ]
        titles = [spec.title for spec in response.context["cl"].filter_specs]
        words = _english_words(headers + titles)

    # then
    assert response.status_code == 200
    assert words == set()


@pytest.mark.parametrize(("app_label", "model_name"), MODELS)
def test_change_form_labels_and_help_texts_are_chinese(
    client, people, app_label, model_name
):
    # given
    root, _staff = people
    client.force_login(root)
    model = next(
        m
        for m in admin.site._registry
        if m._meta.label_lower == f"{app_label}.{model_name}"
    )
    obj = model._default_manager.first()
    if obj is None:
        pytest.skip("no row to open")

    # when
    with translation.override("zh-hans"):
        response = client.get(
            reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        texts = []
        for fieldset in response.context["adminform"]:
            texts.append(fieldset.name or "")
            for line in fieldset:
                for field in line:
                    texts.append(
                        field.field["label"] if field.is_readonly else field.field.label
                    )
                    texts.append(
                        field.field["help_text"]
                        if field.is_readonly
                        else field.field.help_text
                    )
        words = _english_words(texts)

    # then
    assert response.status_code == 200
    assert words == set()
