"""The admin speaks Chinese: no English app, model, column, filter or field name in our apps.

A superuser opens, in zh-hans, the admin index and every changelist, add form and change
form of our apps; the HTML is parsed for the names people read there. A name that has ASCII
letters and no Chinese character fails, unless it is one of the few technical terms listed.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.analytics.factories import hospital_day
from tests.hospitals.factories import HospitalFactory
from tests.scheduling.factories import BookingRuleFactory, ScheduleTemplateFactory

OUR_APPS = (
    "common",
    "accounts",
    "hospitals",
    "scheduling",
    "appointments",
    "billing",
    "records",
    "consult",
    "analytics",
)
# Terms Chinese staff read as they are. Keep this short.
TECHNICAL_TERMS = {"ID", "VIP", "QR", "URL", "IP", "openid", "OpenID", "unionid"}

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ASCII_LETTER = re.compile(r"[A-Za-z]")
FORM_CONTROLS = {"input", "select", "textarea"}


def is_untranslated(text: str) -> bool:
    text = " ".join(text.split()).rstrip(":：").strip()
    return (
        bool(ASCII_LETTER.search(text))
        and not CJK.search(text)
        and text not in TECHNICAL_TERMS
    )


class AdminNames(HTMLParser):
    """Collects (kind, text) for what the admin names: app captions and model rows on the
    index, table column headers, filter titles, and form field labels (a label that wraps
    its own input is a choice, not a field name, and is skipped)."""

    def __init__(self) -> None:
        super().__init__()
        # (kind, app label for app and model names, text)
        self.names: list[tuple[str, str | None, str]] = []
        self._open: list[dict] = []  # captures in progress
        self._thead = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        for capture in self._open:
            if capture["tag"] == tag:
                capture["depth"] += 1
        if tag in FORM_CONTROLS:
            for capture in self._open:
                if capture["tag"] == "label":
                    capture["wraps_control"] = True
        if tag == "thead":
            self._thead += 1
        kind, app_label = None, None
        if tag == "a" and "section" in classes:
            # <a class="section" href="/admin/<app_label>/">
            kind, app_label = "app", attributes["href"].rstrip("/").rsplit("/", 1)[-1]
        elif tag == "th" and attributes.get("scope") == "row" and attributes.get("id"):
            # <th scope="row" id="<app_label>-<model_name>">
            kind, app_label = "model", attributes["id"].split("-")[0]
        elif tag == "th" and self._thead and "action-checkbox-column" not in classes:
            kind = "column"
        elif tag == "label":
            kind = "field"
        elif tag == "details" and "data-filter-title" in attributes:
            self.names.append(("filter", None, attributes["data-filter-title"] or ""))
        if kind is not None:
            self._open.append(
                {"kind": kind, "app": app_label, "tag": tag, "depth": 1, "text": []}
            )

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in FORM_CONTROLS and tag != "details":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._thead = max(0, self._thead - 1)
        for capture in reversed(self._open):
            if capture["tag"] != tag:
                continue
            capture["depth"] -= 1
            if capture["depth"] == 0:
                self._open.remove(capture)
                if not capture.get("wraps_control"):
                    self.names.append(
                        (capture["kind"], capture["app"], "".join(capture["text"]))
                    )
            break

    def handle_data(self, data: str) -> None:
        for capture in self._open:
            capture["text"].append(data)


def untranslated_names(page: str, *, app_names: bool = True) -> list[str]:
    """English names on an admin page. App and model names count only for our apps, and
    only when `app_names` (on the index; other pages repeat them in the sidebar)."""
    parser = AdminNames()
    parser.feed(page)
    return sorted(
        {
            f"{kind}: {' '.join(text.split())}"
            for kind, app_label, text in parser.names
            if is_untranslated(text)
            and (app_label is None or (app_names and app_label in OUR_APPS))
        }
    )


def our_models() -> list:
    return sorted(
        (model for model in admin.site._registry if model._meta.app_label in OUR_APPS),
        key=lambda model: model._meta.label,
    )


@pytest.fixture
def superuser_in_chinese(client, settings, db):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(
        UserFactory(is_staff=True, is_superuser=True, role=User.Role.PLATFORM_ADMIN)
    )
    with translation.override("zh-hans"):
        yield client


@pytest.fixture
def some_of_everything(db) -> None:
    """Rows for most of our models, so their change forms can be opened."""
    hospital = HospitalFactory()
    hospital_day(hospital)
    BookingRuleFactory(hospital=hospital)
    ScheduleTemplateFactory()


def test_the_check_finds_english_names_and_accepts_chinese_ones():
    # given a page with English and Chinese names of every kind
    page = """
    <div class="app-scheduling module"><table>
    <caption><a class="section" href="/admin/scheduling/">Scheduling</a></caption>
    <tr><th scope="row" id="scheduling-clinicsession"><a href="#">Clinic sessions</a></th></tr>
    </table></div>
    <div class="app-token_blacklist module"><table>
    <caption><a class="section" href="/admin/token_blacklist/">Token Blacklist</a></caption>
    </table></div>
    <table id="result_list"><thead><tr>
      <th class="action-checkbox-column"><input type="checkbox"></th>
      <th><div class="text"><a href="?o=1">Doctor</a></div></th><th><div class="text">状态</div></th>
      <th><div class="text"><span>ID</span></div></th>
    </tr></thead></table>
    <details data-filter-title="hospital" open><summary> 以 hospital </summary></details>
    <details data-filter-title="日期" open><summary> 以 日期 </summary></details>
    <label for="id_fee">Fee (fen):</label><label for="id_place">地点：</label>
    <label for="id_period_0"><input type="radio" id="id_period_0"> Morning</label>
    """

    # when it is checked
    found = untranslated_names(page)

    # then exactly the English names are reported
    assert found == [
        "app: Scheduling",
        "column: Doctor",
        "field: Fee (fen):",
        "filter: hospital",
        "model: Clinic sessions",
    ]


@pytest.mark.django_db
def test_the_admin_index_names_our_apps_and_models_in_chinese(superuser_in_chinese):
    # when the superuser opens the admin index in Chinese
    response = superuser_in_chinese.get(reverse("admin:index"))

    # then every app and model name is Chinese
    assert response.status_code == 200
    found = untranslated_names(response.content.decode())
    assert found == [], "English on the admin index:\n" + "\n".join(found)


def _pages(model) -> list[tuple[str, str]]:
    opts = model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}"
    pages = [
        ("changelist", reverse(f"{name}_changelist")),
        ("add", reverse(f"{name}_add")),
    ]
    obj = model._default_manager.order_by("pk").first()
    if obj is not None:
        pages.append(("change", reverse(f"{name}_change", args=[obj.pk])))
    return pages


@pytest.mark.parametrize("model", our_models(), ids=lambda model: model._meta.label)
def test_every_admin_page_of_our_models_speaks_chinese(
    model, superuser_in_chinese, some_of_everything
):
    # given rows of most models; when the superuser opens each page the admin allows
    found = []
    for page_name, url in _pages(model):
        response = superuser_in_chinese.get(url)
        if response.status_code == 403:  # the admin does not offer this page
            continue
        assert response.status_code == 200, url
        found += [
            f"{page_name}: {name}"
            for name in untranslated_names(response.content.decode(), app_names=False)
        ]

    # then no name on them is English
    assert found == [], f"English in the {model._meta.label} admin:\n" + "\n".join(
        found
    )
