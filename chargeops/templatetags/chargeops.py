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


@register.filter
def command_summary(value, limit=160):
    """An OCPP request or answer as short `key=value` text for a table cell."""
    if not value:
        return "—"
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if item in (None, [], {}):
                continue
            if isinstance(item, list) and item and isinstance(item[0], dict) and "key" in item[0]:
                item = ", ".join(f"{entry['key']}={entry.get('value', '')}" for entry in item)
            parts.append(f"{key}={item}")
        value = "; ".join(parts) or "—"
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@register.filter
def percent(value):
    """A ratio (0.1234) as “12.3 %”, or “—” when there is none."""
    if value is None or value == "":
        return "—"
    return f"{value * 100:.1f} %"
