"""Template filters of the portal: `{% load portal %}`."""

from django import template
from django.conf import settings

from common.money import fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """Fen (an int) shown as yuan: 1234 → "¥12.34". Money stays fen everywhere else."""
    if fen is None:
        return ""
    return f"¥{fen_to_yuan(int(fen))}"


@register.simple_tag
def platform_name() -> str:
    return settings.PLATFORM_NAME
