"""The visit PDF: opens, carries the Chinese text, embeds its font."""

import io

import pytest
from pypdf import PdfReader

from records.export import fonts
from records.export.fonts import PdfFontMissing, pdf_font
from records.export.pdf import visit_pdf
from tests.records.export_helpers import DIAGNOSIS, visit_document


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    # pypdf reads fpdf2's two-byte glyph codes one byte at a time here (a NUL before each
    # character) and adds spaces between CJK glyphs: compare without either.
    text = "".join(page.extract_text() for page in reader.pages)
    return "".join(text.replace("\x00", "").split())


@pytest.fixture(autouse=True)
def _fresh_font_lookup():
    fonts._font_for.cache_clear()
    yield
    fonts._font_for.cache_clear()


def test_the_pdf_opens_and_holds_the_chinese_diagnosis_and_prescription():
    pdf = visit_pdf(visit_document())

    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    assert DIAGNOSIS in text
    assert "J06.9" in text
    assert "对乙酰氨基酚片" in text
    assert "张小伟" in text
    assert "白细胞计数" in text
    assert "10.8" in text
    assert "双肺未见明显异常" in text


def test_the_font_is_embedded():
    reader = PdfReader(io.BytesIO(visit_pdf(visit_document())))
    fonts_seen = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            fonts_seen.append(
                any(
                    key in descriptor
                    for key in ("/FontFile", "/FontFile2", "/FontFile3")
                )
            )
    assert fonts_seen
    assert all(fonts_seen)


def test_a_long_record_runs_onto_more_pages_with_nothing_lost():
    many = "反复咳嗽。" * 600
    pdf = visit_pdf(visit_document(present_illness=many))

    assert len(PdfReader(io.BytesIO(pdf)).pages) > 1
    assert _text(pdf).count("反复咳嗽") == 600


def test_the_configured_font_is_used(settings):
    found = pdf_font()
    settings.RECORD_PDF_FONT = f"{found.path}#{found.index}"
    fonts._font_for.cache_clear()

    assert pdf_font() == found


def test_without_a_chinese_font_the_export_says_so(settings, monkeypatch):
    settings.RECORD_PDF_FONT = ""
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)

    with pytest.raises(PdfFontMissing) as raised:
        visit_pdf(visit_document())
    assert raised.value.status_code == 503
    assert raised.value.code == "pdf_font_missing"


def test_discovery_prefers_simplified_chinese_sans():
    ranked = sorted(
        [
            "Noto Sans Mono CJK SC",
            "Noto Serif CJK SC",
            "Noto Sans CJK TC",
            "Noto Sans CJK SC",
        ],
        key=fonts._rank,
    )
    assert ranked[0] == "Noto Sans CJK SC"
    assert ranked[-1] == "Noto Sans CJK TC"
