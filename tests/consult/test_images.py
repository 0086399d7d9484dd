"""consult.images: what an uploaded image must be (decided from its content) and the clean
re-encoding that is stored instead of it."""

import io

import pytest
from PIL import ExifTags, Image

from consult import images
from consult.images import ImageRefused, image_clean
from tests.consult.image_files import (
    SVG,
    encoded,
    gif,
    jpeg,
    jpeg_with_gps,
    picture,
    png,
    png_declaring,
    webp,
)

CAP = 5 * 1024 * 1024
NOISE = Image.effect_noise((400, 300), 64).convert("RGB")
NOISY_JPEG = encoded(NOISE, "JPEG")
NOISY_PNG = encoded(NOISE, "PNG")


def _refusal(content: bytes, *, max_bytes: int = CAP) -> str:
    with pytest.raises(ImageRefused) as refused:
        image_clean(content, max_bytes=max_bytes)
    assert refused.value.status_code == 400
    assert list(refused.value.fields) == ["image"]
    return refused.value.code


def _opened(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def test_a_jpeg_is_taken_and_re_encoded_as_a_jpeg():
    clean = image_clean(jpeg((40, 30)), max_bytes=CAP)

    assert (clean.content_type, clean.width, clean.height) == ("image/jpeg", 40, 30)
    stored = _opened(clean.content)
    assert (stored.format, stored.size, stored.mode) == ("JPEG", (40, 30), "RGB")


def test_gps_and_every_other_exif_tag_are_gone_from_the_stored_jpeg():
    upload = jpeg_with_gps()
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    clean = image_clean(upload, max_bytes=CAP)

    stored = _opened(clean.content)
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info
    assert b"Exif" not in clean.content
    assert b"PhoneMaker" not in clean.content


def test_the_exif_orientation_is_applied_to_the_pixels():
    # Orientation 6: the camera was turned; the picture is shown rotated 90°.
    clean = image_clean(jpeg_with_gps((40, 30), orientation=6), max_bytes=CAP)

    assert (clean.width, clean.height) == (30, 40)
    assert _opened(clean.content).size == (30, 40)


def test_an_icc_profile_is_converted_to_srgb_and_not_kept():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = encoded(picture(), "JPEG", icc_profile=srgb)
    assert "icc_profile" in Image.open(io.BytesIO(upload)).info

    clean = image_clean(upload, max_bytes=CAP)
    assert "icc_profile" not in _opened(clean.content).info
    # An unusable profile (a LAB one on RGB pixels) is dropped, the image still taken.
    odd = image_clean(encoded(picture(), "JPEG", icc_profile=profile), max_bytes=CAP)
    assert "icc_profile" not in _opened(odd.content).info


def test_a_png_stays_a_png_and_keeps_its_transparency():
    clean = image_clean(png(mode="RGBA"), max_bytes=CAP)

    stored = _opened(clean.content)
    assert (clean.content_type, stored.format, stored.mode) == (
        "image/png",
        "PNG",
        "RGBA",
    )
    assert stored.getpixel((0, 0))[3] == 128


def test_a_png_text_chunk_is_not_kept():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "patient Zhang San, Beijing")
    clean = image_clean(encoded(picture(), "PNG", pnginfo=info), max_bytes=CAP)

    assert b"Zhang San" not in clean.content
    assert _opened(clean.content).text == {}


def test_a_webp_becomes_a_jpeg_or_with_transparency_a_png():
    assert image_clean(webp(), max_bytes=CAP).content_type == "image/jpeg"
    assert image_clean(webp(mode="RGBA"), max_bytes=CAP).content_type == "image/png"


def test_the_longest_side_is_scaled_down_to_the_cap_keeping_the_shape():
    clean = image_clean(jpeg((4096, 1024)), max_bytes=CAP)

    assert (clean.width, clean.height) == (images.MAX_SIDE, 512)
    assert _opened(clean.content).size == (2048, 512)


def test_a_payload_after_the_image_data_is_not_stored():
    upload = jpeg() + b"<script>alert('stored')</script>"

    clean = image_clean(upload, max_bytes=CAP)

    assert b"<script>" not in clean.content


@pytest.mark.parametrize(
    ("content", "code"),
    [
        pytest.param(b"just some text, named photo.jpg", "type_not_allowed", id="text"),
        pytest.param(SVG, "type_not_allowed", id="svg"),
        pytest.param(gif(), "type_not_allowed", id="gif"),
        pytest.param(
            b"%PDF-1.4\n" + jpeg(), "type_not_allowed", id="pdf-jpeg-polyglot"
        ),
        pytest.param(gif() + b"/*" + jpeg(), "type_not_allowed", id="gif-polyglot"),
        pytest.param(b"<html>" + png(), "type_not_allowed", id="html-before-png"),
        pytest.param(NOISY_JPEG[: len(NOISY_JPEG) // 2], "unreadable", id="cut-jpeg"),
        pytest.param(NOISY_PNG[: len(NOISY_PNG) // 2], "unreadable", id="cut-png"),
        pytest.param(NOISY_PNG[:-30], "unreadable", id="png-without-its-end"),
        pytest.param(
            b"\xff\xd8\xff\xe0" + b"\x00" * 40, "type_not_allowed", id="jpeg-magic-only"
        ),
        pytest.param(b"", "empty", id="empty"),
    ],
)
def test_what_is_not_a_whole_jpeg_png_or_webp_is_refused(content, code):
    assert _refusal(content) == f"consult_image_{code}"


def test_the_size_is_checked_before_anything_is_decoded():
    # Not an image at all: only the size can have refused it.
    assert _refusal(b"x" * 2048, max_bytes=1024) == "consult_image_too_large"
    assert image_clean(jpeg(), max_bytes=len(jpeg())).width == 40


def test_a_header_claiming_too_many_pixels_is_refused_before_decoding():
    # 56 million pixels: over our cap, under Pillow's own warning threshold.
    assert Image.MAX_IMAGE_PIXELS > 8000 * 7000
    assert _refusal(png_declaring(8000, 7000)) == "consult_image_too_many_pixels"
    # A PNG decodes whole, so its cap is lower: 30 million pixels are too many.
    assert _refusal(png_declaring(6000, 5000)) == "consult_image_too_many_pixels"


def test_pillows_own_decompression_bomb_warning_is_a_refusal(monkeypatch):
    # Below our cap but above Pillow's: Pillow's warning must not let it through.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)

    assert _refusal(jpeg((40, 30))) == "consult_image_too_many_pixels"  # 1,200 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    assert _refusal(jpeg((40, 30))) == "consult_image_too_many_pixels"  # Pillow's error
