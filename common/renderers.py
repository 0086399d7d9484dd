"""The API's JSON renderer: an answer is always sent, whatever text it echoes."""

from typing import Any

from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """DRF's renderer, falling back to ASCII escapes for text UTF-8 cannot encode.

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
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _AsciiJSONRenderer().render(
                data, accepted_media_type, renderer_context
            )


class _AsciiJSONRenderer(renderers.JSONRenderer):
    ensure_ascii = True
