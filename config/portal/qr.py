"""QR codes drawn on the server as inline SVG (segno, pure Python): no image requests,
no JavaScript, sharp at any zoom."""

import segno


def qr_svg(content: str, *, title: str, scale: int = 5) -> str:
    """`content` as a QR code (black on white, 4-module quiet zone), `title` its name."""
    return segno.make(content, error="m", micro=False).svg_inline(
        scale=scale, border=4, title=title, omitsize=False
    )
