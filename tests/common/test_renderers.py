"""The orjson renderer writes the bytes DRF's JSONRenderer writes (common/renderers.py)."""

import datetime
import decimal
import json
import uuid
import zoneinfo
from collections import OrderedDict
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework import renderers, serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from common.api import error_body
from common.renderers import JSONRenderer, RenderedJSON

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
EIGHT_HOURS = datetime.timedelta(hours=8)


def drf(data, accepted_media_type=None, renderer_context=None) -> bytes:
    return renderers.JSONRenderer().render(data, accepted_media_type, renderer_context)


def ours(data, accepted_media_type=None, renderer_context=None) -> bytes:
    return JSONRenderer().render(data, accepted_media_type, renderer_context)


@dataclass
class _Point:
    x: int


REPRESENTATIVE = {
    "a catalog page": {
        "count": 2,
        "next": "http://testserver/api/v1/hospitals/?page=2",
        "previous": None,
        "results": [
            {"id": 1, "name": "北京仁和医院", "level": "3A", "is_open": True},
            {"id": 2, "name": "Ruikang “瑞康” \\ / \t\n", "level": "", "fee": 0},
        ],
    },
    "serializer containers": ReturnDict(
        {"rows": ReturnList([OrderedDict(a=1)], serializer=None)}, serializer=None
    ),
    "decimals": [
        decimal.Decimal("12.50"),
        decimal.Decimal("0.00001"),
        decimal.Decimal("-3"),
        decimal.Decimal("1E+20"),
    ],
    "datetimes": [
        datetime.datetime(2026, 11, 30, 0, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 11, 30, 8, 0, 0, 123456, tzinfo=SHANGHAI),
        datetime.datetime(2026, 11, 30, 8, 0, 0, 120000, tzinfo=SHANGHAI),
        datetime.datetime(2026, 1, 15, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London")),
        datetime.datetime(2026, 11, 30, 8, 30, tzinfo=SHANGHAI).replace(
            tzinfo=None
        ),  # naive
        datetime.date(2026, 2, 28),
        datetime.time(8, 30),
        datetime.time(8, 30, 15, 250),
        datetime.time(8, 30, tzinfo=SHANGHAI),  # a zone without a date has no offset
        datetime.timedelta(minutes=90, microseconds=5),
    ],
    "uuids": [uuid.UUID("12345678-1234-5678-1234-567812345678")],
    "lazy translations": {
        "message": gettext_lazy("Not found."),
        "list": [gettext_lazy("Invalid input.")],
    },
    "text to escape": ["line\u2028separator", "para\u2029graph", "\x00\x1f\x7f", "😀"],
    "numbers": [0, -1, 2**63 - 1, -(2**63), 1.5, 0.1, 100.0, 1e16, True, False],
    "other python values": {
        "tuple": (1, 2),
        "set": {3},
        "bytes": b"raw",
        "empty": {},
    },
    "an integer beyond 64 bits": {"big": 2**64},
    "keys that are not text": {1: "one", None: "none", False: "no", 2.5: "half"},
    "deep nesting": json.loads("[" * 300 + "]" * 300),
}


@pytest.mark.parametrize("name", list(REPRESENTATIVE))
def test_the_bytes_are_drfs(name):
    data = REPRESENTATIVE[name]

    assert ours(data) == drf(data)


def test_the_error_shape_is_rendered_as_drf_renders_it():
    # given: a validation error as the exception handler shapes it
    class Form(serializers.Serializer):
        level = serializers.ChoiceField(choices=["3A", "2A"])
        page = serializers.IntegerField(min_value=1)

    form = Form(data={"level": "九级", "page": 0})
    form.is_valid()
    body = error_body("invalid", gettext_lazy("Invalid input."), form.errors)

    # then
    assert isinstance(form.errors["level"][0], ErrorDetail)
    assert ours(body) == drf(body)
    assert json.loads(ours(body)) == {
        "error": {
            "code": "invalid",
            "message": "Invalid input.",
            "fields": {
                "level": ['"九级" is not a valid choice.'],
                "page": ["Ensure this value is greater than or equal to 1."],
            },
        }
    }


def test_an_api_error_answer_is_drfs_rendering_of_its_data(api_client):
    response = api_client.get(reverse("api:hospitals:list"), {"level": "\u2028九级"})

    assert response.status_code == 400
    assert response.content == drf(response.data)


@pytest.mark.parametrize("datetime_format", ["iso-8601", "%Y/%m/%d %H:%M", None])
def test_serialized_datetimes_follow_drfs_datetime_format(settings, datetime_format):
    # given: the format DRF's DateTimeField writes, as settings may set it
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DATETIME_FORMAT": datetime_format,
    }

    class Out(serializers.Serializer):
        at = serializers.DateTimeField()

    moment = datetime.datetime(2026, 11, 30, 0, 0, 0, 5000, tzinfo=datetime.UTC)

    # when
    data = Out({"at": moment}).data

    # then
    assert ours(data) == drf(data)
    expected = {
        "iso-8601": b'{"at":"2026-11-30T08:00:00.005000+08:00"}',
        "%Y/%m/%d %H:%M": b'{"at":"2026/11/30 08:00"}',
        None: b'{"at":"2026-11-30T00:00:00.005000Z"}',  # the renderer writes it
    }
    assert ours(data) == expected[datetime_format]


def test_nothing_renders_as_no_bytes():
    assert ours(None) == b""


@pytest.mark.parametrize(
    ("accepted_media_type", "renderer_context"),
    [("application/json; indent=4", None), ("application/json", {"indent": 2})],
)
def test_indented_answers_are_drfs(accepted_media_type, renderer_context):
    data = REPRESENTATIVE["a catalog page"]

    rendered = ours(data, accepted_media_type, renderer_context)

    assert rendered == drf(data, accepted_media_type, renderer_context)
    assert b"\n" in rendered


@pytest.mark.parametrize(
    "data",
    [
        {"decimal": decimal.Decimal("NaN")},
        {"time": datetime.time(8, 30, tzinfo=datetime.timezone(EIGHT_HOURS))},
        {gettext_lazy("Not found."): "a lazy key"},
        {"unknown": object()},
        {"dataclass": _Point(1)},
    ],
)
def test_what_drf_cannot_render_raises_drfs_error(data):
    with pytest.raises((TypeError, ValueError)) as drf_error:
        drf(data)

    with pytest.raises(type(drf_error.value)) as our_error:
        ours(data)

    assert str(our_error.value) == str(drf_error.value)


def test_a_lone_surrogate_is_escaped_as_before():
    data = {"message": '"\ud800" is not a valid choice.', "name": "号"}

    rendered = ours(data)

    assert (
        rendered
        == b'{"message":"\\"\\ud800\\" is not a valid choice.","name":"\\u53f7"}'
    )


def test_floats_differ_only_in_how_tiny_ones_are_written():
    # The documented difference: the same number, written out in full.
    assert ours([2.5e-05]) == b"[0.000025]"
    assert drf([2.5e-05]) == b"[2.5e-05]"
    assert json.loads(ours([2.5e-05])) == json.loads(drf([2.5e-05]))


def test_a_rendered_answer_is_sent_unchanged():
    content = b'{"count":0,"results":[]}'

    assert ours(RenderedJSON(content)) is content


def test_a_rendered_answer_asked_indented_is_drfs_indented_rendering():
    data = REPRESENTATIVE["a catalog page"]
    rendered = RenderedJSON(ours(data))

    assert ours(rendered, None, {"indent": 4}) == drf(data, None, {"indent": 4})


def test_a_renderer_set_for_other_output_renders_as_drf():
    class OurAscii(JSONRenderer):
        ensure_ascii = True

    class DrfAscii(renderers.JSONRenderer):
        ensure_ascii = True

    data = REPRESENTATIVE["a catalog page"]

    rendered = OurAscii().render(data)

    assert rendered == DrfAscii().render(data)
    assert b"\\u5317" in rendered  # 北, escaped
