"""What a consult image must be, decided from its content alone, and its clean re-encoding.

The name and the declared content type of an upload are ignored. The bytes are taken when:
- they are at most `max_bytes` long (checked before anything is decoded) and not empty;
- Pillow recognises them as JPEG, PNG or WebP (only those decoders are tried: a GIF, an
  SVG, a text, or a file that starts as another format and hides an image further on is
  refused), `verify()` passes, and the image then decodes completely (a truncated file is
  refused: LOAD_TRUNCATED_IMAGES stays off);
- the header's pixel count is at most MAX_PIXELS (MAX_PIXELS_JPEG for a JPEG): a
  decompression bomb is refused before it is decoded; Pillow's own bomb warning and
  error are refusals too.

What is stored is never the upload but a new encoding of its pixels: EXIF orientation
applied, colours converted to sRGB when the file carried an ICC profile, the longest side
scaled down to MAX_SIDE, saved from a fresh image with no metadata at all (no EXIF, GPS,
XMP, ICC or text chunks). So whatever else the file carried (a location, a payload after
the image data) is gone. Output format: an image with transparency becomes a PNG; a PNG
stays a PNG (screenshots of text stay sharp); anything else (JPEG, WebP without
transparency) becomes a JPEG at quality JPEG_QUALITY, which every client displays. An
animated WebP or PNG keeps its first frame.
"""

import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from common.errors import DomainError
from consult.errors import ErrorCode

FORMATS = ("JPEG", "PNG", "WEBP")
# Pillow reports a JPEG with a multi-picture index (phones' photos with a depth map) as MPO.
ACCEPTED = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
MAX_SIDE = 2048
# The pixels a header may declare. A JPEG is decoded at a reduced scale (draft), so a
# 48-megapixel phone photo passes; PNG and WebP decode whole (4 bytes a pixel), so less.
MAX_PIXELS_JPEG = 50_000_000
MAX_PIXELS = 25_000_000
JPEG_QUALITY = 85

JPEG = "image/jpeg"
PNG = "image/png"


class ImageRefused(DomainError):
    """The upload is not an image the consult takes (400, with the `image` field)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, fields={"image": [str(message)]})


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    content_type: str  # JPEG or PNG
    width: int
    height: int


def image_clean(content: bytes, *, max_bytes: int) -> CleanImage:
    """The re-encoded image, or ImageRefused saying why not."""
    if not content:
        raise ImageRefused(ErrorCode.CONSULT_IMAGE_EMPTY, _("The image file is empty."))
    if len(content) > max_bytes:
        raise ImageRefused(
            ErrorCode.CONSULT_IMAGE_TOO_LARGE,
            _("An image may be at most %(megabytes)s MB.")
            % {"megabytes": f"{max_bytes / (1024 * 1024):g}"},
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _decode_and_encode(content)
        except ImageRefused:
            raise
        except UnidentifiedImageError:
            raise _not_allowed() from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except Exception:
            # Pillow's decoders answer hostile or damaged input with many exception types
            # (OSError, SyntaxError, ValueError, struct.error, EOFError, ...): each means
            # the content is not a whole image of an accepted format.
            raise ImageRefused(
                ErrorCode.CONSULT_IMAGE_UNREADABLE,
                _("The image is damaged or incomplete."),
            ) from None


def _not_allowed() -> ImageRefused:
    return ImageRefused(
        ErrorCode.CONSULT_IMAGE_TYPE_NOT_ALLOWED,
        _("Only JPEG, PNG and WebP images are accepted."),
    )


def _too_many_pixels() -> ImageRefused:
    return ImageRefused(
        ErrorCode.CONSULT_IMAGE_TOO_MANY_PIXELS,
        _("The image has too many pixels."),
    )


def _decode_and_encode(content: bytes) -> CleanImage:
    with Image.open(io.BytesIO(content), formats=FORMATS) as probe:
        if probe.format not in ACCEPTED:
            raise _not_allowed()
        cap = MAX_PIXELS_JPEG if ACCEPTED[probe.format] == "JPEG" else MAX_PIXELS
        if probe.width * probe.height > cap:
            raise _too_many_pixels()
        probe.verify()
    with Image.open(io.BytesIO(content), formats=FORMATS) as image:
        source_format = ACCEPTED[image.format]
        if source_format == "JPEG":
            # Decode at a reduced scale when the photo is far larger than what is kept.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
        image.load()
        icc_profile = image.info.get("icc_profile")
        picture = ImageOps.exif_transpose(image)
    picture = _to_srgb(picture, icc_profile)
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    transparent = picture.mode == "RGBA" and picture.getextrema()[3][0] < 255
    as_png = transparent or source_format == "PNG"
    mode = "RGBA" if transparent else "RGB"
    # A fresh image from the raw pixels: nothing of the upload's info (EXIF, ICC, text
    # chunks, comments) can reach the encoder.
    pixels = picture.convert(mode)
    clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if as_png:
        clean.save(out, format="PNG")
    else:
        clean.save(out, format="JPEG", quality=JPEG_QUALITY)
    return CleanImage(
        content=out.getvalue(),
        content_type=PNG if as_png else JPEG,
        width=clean.width,
        height=clean.height,
    )


def _to_srgb(picture: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """The picture in RGB or RGBA, its colours moved to sRGB when it carried a profile."""
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    rgb = picture.convert("RGBA" if has_alpha else "RGB")
    if not icc_profile:
        return rgb
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if picture.mode == "CMYK" or has_alpha:
            # The profile describes the original channels; keep the plain conversion
            # for CMYK and for images with alpha (lcms would need matching modes).
            return rgb
        converted = ImageCms.profileToProfile(
            rgb, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return rgb  # a broken or unusual profile: the pixels as they are
    return converted if converted is not None else rgb
