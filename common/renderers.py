"""The API's JSON renderer: orjson's speed, DRF's JSONRenderer's bytes; an answer is always sent.

`JSONRenderer` encodes with orjson where orjson writes what DRF's renderer writes: compact,
UTF-8 text as it is (DRF's `ensure_ascii=False`), dates, times, Decimals, lazy translations,
bytes, sets, querysets and numpy values through DRF's own encoder (orjson is told to hand
them over), U+2028 and U+2029 escaped as DRF escapes them. Whatever orjson refuses (a lone
surrogate, an integer beyond 64 bits, a key that is not a string, nesting past 255 levels,
an object neither knows) goes to DRF's renderer, so the answer, or the error, is DRF's. An
indented answer (the browsable API, `Accept: application/json; indent=4`) is DRF's too.

Two differences remain, both in the text of a float the API never sends (money is integer
fen; serializers send Decimals as strings): a float under 1e-4 is written out in full
(`0.000025`, DRF `2.5e-05`, the same number), and NaN or an infinity is `null` where DRF's
strict renderer raised.

`RenderedJSON` carries an answer rendered before (a cached catalog page): sent as it is,
with no encoding at all.
"""

import math
from decimal import Decimal
from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_ESCAPED = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))
# Dates and times go to DRF's encoder: its format ('Z' for UTC, microseconds as isoformat
# writes them) whatever orjson's would be. Dataclasses too: DRF's encoder refuses them.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_drf_default = JSONEncoder().default


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        # DRF's encoder answers a float, which json writes with repr(): so do we.
        number = float(obj)
        if not math.isfinite(number):
            raise ValueError("Out of range float values are not JSON compliant")
        return orjson.Fragment(repr(number))
    return _drf_default(obj)


class RenderedJSON:
    """JSON bytes already rendered by JSONRenderer, to be sent unchanged."""

    __slots__ = ("content",)

    def __init__(self, content: bytes) -> None:
        self.content = content


class JSONRenderer(renderers.JSONRenderer):
    """orjson where it writes what DRF's renderer writes, DRF's renderer elsewhere.

    An answer echoes client text at times (a choice field's 400 names the bad value); a lone
    surrogate such as "\\ud800" in it made encoding fail, and the 400 became a 500. Escaped
    as \\uXXXX, the same JSON is sent instead. The parser refuses such text in requests; this
    keeps any that gets through another way from breaking the answer.
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if isinstance(data, RenderedJSON):
            if indent is None and self._orjson_writes_it:
                return data.content
            data = orjson.loads(data.content)
        if indent is None and self._orjson_writes_it:
            try:
                content = orjson.dumps(data, default=_default, option=_OPTIONS)
            except orjson.JSONEncodeError:
                pass  # DRF's renderer answers, or raises its own error
            else:
                for raw, escaped in _ESCAPED:
                    if raw in content:
                        content = content.replace(raw, escaped)
                return content
        return self._drf_render(data, accepted_media_type, renderer_context)

    @property
    def _orjson_writes_it(self) -> bool:
        # Only DRF's default output: UNICODE_JSON and COMPACT_JSON on, DRF's encoder.
        return (
            not self.ensure_ascii and self.compact and self.encoder_class is JSONEncoder
        )

    def _drf_render(
        self, data: Any, accepted_media_type: str | None, renderer_context: dict | None
    ) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _AsciiJSONRenderer().render(
                data, accepted_media_type, renderer_context
            )


class _AsciiJSONRenderer(renderers.JSONRenderer):
    ensure_ascii = True
