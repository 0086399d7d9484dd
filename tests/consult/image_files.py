"""Image files for the consult image tests, made with Pillow in memory."""

import io
import struct
import zlib

from PIL import ExifTags, Image

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
    b'height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>'
)


def picture(size=(40, 30), colour=(200, 30, 30), mode="RGB") -> Image.Image:
    if mode == "RGBA":
        return Image.new("RGBA", size, (*colour, 128))
    return Image.new(mode, size, colour)


def encoded(image: Image.Image, image_format: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=image_format, **params)
    return out.getvalue()


def jpeg(size=(40, 30), **params) -> bytes:
    return encoded(picture(size), "JPEG", **params)


def png(size=(40, 30), mode="RGB") -> bytes:
    return encoded(picture(size, mode=mode), "PNG")


def webp(size=(40, 30), mode="RGB") -> bytes:
    return encoded(picture(size, mode=mode), "WEBP")


def noisy_jpeg(size=(400, 300)) -> bytes:
    """A JPEG whose scan data is most of the file (noise does not compress)."""
    return encoded(Image.effect_noise(size, 64).convert("RGB"), "JPEG")


def gif(size=(40, 30)) -> bytes:
    return encoded(picture(size).convert("P"), "GIF")


def jpeg_with_gps(size=(40, 30), orientation: int = 1) -> bytes:
    """A photo as a phone takes it: camera, place (GPS) and orientation in its EXIF."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 15"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 29.0)
    return jpeg(size, exif=exif)


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose header claims `width` x `height` pixels (a decompression bomb's
    shape: the header is all a decoder sizes its buffers by)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
