"""The API's one request parser: JSON, read within limits, or a 4xx in the error shape.

DRF's own JSONParser reads the whole stream (Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not
apply to it), lets the decoder recurse once per nested array (a 2 KB body of 1,000 `[`
raised RecursionError: a 500), turns `1e400` into infinity, and passes `"\\ud800"` through as
a lone surrogate that no UTF-8 answer can echo. This one refuses each of these before a view
sees the data. REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] names it; the limits are settings.
"""

import json
import math
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, parsers

from common.errors import ErrorCode

# A JSON string, escapes included (the unrolled form: no backtracking on long strings).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
# A \u escape of a surrogate code point (a pair is checked properly after decoding).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Ids and amounts are 64-bit integers in the database; nothing the API takes is larger.
_INT_MAX = 2**63 - 1


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = ErrorCode.REQUEST_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")


def nesting_depth_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON text nests arrays/objects deeper than `limit` (strings skipped).

    Linear and without recursion, so it is safe to run before the decoder. On text that is
    not JSON it may count brackets inside a broken string: such a body is refused either way.
    """
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _parse_int(text: str) -> int:
    # Checked on the text first: int() of thousands of digits is slow, then refused anyway.
    if len(text.lstrip("-")) > len(str(_INT_MAX)) or not (
        -_INT_MAX - 1 <= int(text) <= _INT_MAX
    ):
        raise ValueError(_("Number out of range: %(number)s") % {"number": text[:30]})
    return int(text)


def _parse_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(_("Number out of range: %(number)s") % {"number": text[:30]})
    return number


def _refuse_constant(name: str) -> None:
    raise ValueError(_("%(name)s is not a JSON number.") % {"name": name})


def _has_lone_surrogate(data: Any) -> bool:
    # The depth was checked before decoding, so this recursion is bounded.
    if isinstance(data, str):
        return _SURROGATE.search(data) is not None
    if isinstance(data, dict):
        return any(
            _has_lone_surrogate(key) or _has_lone_surrogate(value)
            for key, value in data.items()
        )
    if isinstance(data, list):
        return any(_has_lone_surrogate(item) for item in data)
    return False


class JSONParser(parsers.JSONParser):
    """JSON within the body-size and nesting limits; numbers finite and 64-bit; no lone
    surrogates. Every refusal is a 4xx that common.api renders in the error shape."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise exceptions.ParseError(
                _("The request body is not valid %(encoding)s text.")
                % {"encoding": encoding}
            ) from None
        if nesting_depth_exceeds(text, settings.API_JSON_MAX_DEPTH):
            raise exceptions.ParseError(
                _("JSON nested deeper than %(depth)d levels.")
                % {"depth": settings.API_JSON_MAX_DEPTH}
            )
        try:
            data = json.loads(
                text,
                parse_int=_parse_int,
                parse_float=_parse_float,
                parse_constant=_refuse_constant,
            )
        except (
            RecursionError
        ):  # the depth check above makes this unreachable; a backstop
            raise exceptions.ParseError(_("JSON nested too deeply.")) from None
        except ValueError as exc:
            raise exceptions.ParseError(
                _("JSON parse error: %(reason)s") % {"reason": exc}
            ) from None
        if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data):
            raise exceptions.ParseError(
                _("Text with an unpaired surrogate code point is not allowed.")
            )
        return data
