import zoneinfo

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def in_tz(value, time_zone):
    """A datetime as `YYYY-MM-DD HH:MM` in the given time zone (a station's), or “—”."""
    if not value:
        return "—"
    return timezone.localtime(value, zoneinfo.ZoneInfo(str(time_zone))).strftime("%Y-%m-%d %H:%M")
