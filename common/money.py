"""Money at the channel edge: fen (int) inside, yuan strings only where a channel wants them.

Conversions are exact (Decimal, never float). A yuan string with more than two decimals, a
sign or anything else than digits is refused rather than rounded.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

# ASCII digits only: `\d` and Decimal() also read full-width digits ("５０").
_YUAN = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")


class InvalidAmount(ValueError):
    pass


def fen_to_yuan(fen: int) -> str:
    """1234 -> "12.34"."""
    if fen < 0:
        raise InvalidAmount(f"negative amount: {fen}")
    return f"{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(value: str, *, allow_negative: bool = False) -> int:
    """ "12.34" -> 1234, exactly. Raises InvalidAmount for anything that is not a plain amount."""
    text = value.strip()
    negative = allow_negative and text.startswith("-")
    if negative:
        text = text[1:]
    if not _YUAN.fullmatch(text):
        raise InvalidAmount(f"not an amount in yuan: {value!r}")
    fen = int(Decimal(text) * 100)
    return -fen if negative else fen


def apply_rate(fen: int, rate: Decimal) -> int:
    """fen × rate in whole fen, rounding half up (e.g. 1999 × 0.85 = 1699.15 -> 1699)."""
    return int((Decimal(fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan_display(fen: int | None) -> str:
    """How staff and patients read an amount: 1234 -> "¥12.34", None -> "-"."""
    if fen is None:
        return "-"
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{fen_to_yuan(abs(fen))}"


def zhe_display(basis_points: int) -> str:
    """A price rate as Chinese shoppers read it: 10000 -> "原价", 8500 -> "8.5折", 8000 -> "8折"."""
    if basis_points >= 10000:
        return "原价"
    text = f"{Decimal(basis_points) / 1000:.2f}".rstrip("0").rstrip(".")
    return f"{text}折"
