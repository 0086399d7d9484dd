from django import template
from django.contrib import admin

from analytics.dashboard import TodayPanel, today_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_today_panel(context: template.Context) -> TodayPanel | None:
    """Today's figures for the signed-in user, or None when they have none to see."""
    request = context.get("request")
    if request is None:
        return None
    return today_panel(admin.site, request)
