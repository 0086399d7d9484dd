"""The Chinese font the PDF export embeds.

`RECORD_PDF_FONT` ("path" or "path#index" for a font collection) names it; when empty, the
system's fontconfig is asked for a font that covers Chinese, Simplified Chinese families
first (Debian's fonts-noto-cjk, which the project's setup installs).
"""

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from common.errors import DomainError
from records.errors import ErrorCode


class PdfFontMissing(DomainError):
    status_code = 503

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.PDF_FONT_MISSING,
            _(
                "PDF export is not available: no Chinese font is installed on the server."
            ),
        )


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0  # the face inside a .ttc collection


def _parse(value: str) -> FontFile:
    path, _sep, index = value.partition("#")
    return FontFile(path=path, index=int(index) if index.isdigit() else 0)


def _rank(family: str) -> tuple[bool, bool, bool]:
    """Lower is better: Simplified Chinese first, proportional before monospaced, sans."""
    words = set(re.findall(r"\w+", family))
    return ("SC" not in words, "Mono" in words, "Sans" not in words)


def _discover() -> FontFile | None:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    listed = subprocess.run(
        [
            fc_list,
            ":lang=zh-cn:style=Regular",
            "--format",
            "%{file}|%{index}|%{family}\n",
        ],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    ).stdout
    candidates = []
    for line in listed.splitlines():
        path, _, rest = line.partition("|")
        index, _, family = rest.partition("|")
        # TrueType/OpenType faces only: fpdf2 embeds those.
        if path.lower().endswith((".ttf", ".otf", ".ttc", ".otc")) and index.isdigit():
            candidates.append((_rank(family), path, int(index)))
    if not candidates:
        return None
    _rank_value, path, index = min(candidates)
    return FontFile(path=path, index=index)


@functools.cache
def _font_for(configured: str) -> FontFile | None:
    return _parse(configured) if configured else _discover()


def pdf_font() -> FontFile:
    font = _font_for(settings.RECORD_PDF_FONT)
    if font is None:
        raise PdfFontMissing()
    return font
