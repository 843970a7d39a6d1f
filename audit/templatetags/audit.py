from urllib.parse import urlencode

from django import template
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

register = template.Library()


@register.simple_tag
def history_url(obj) -> str:
    """The audit log narrowed to one object's entries."""
    content_type = ContentType.objects.get_for_model(obj)
    query = urlencode({"object_type": content_type.pk, "object_id": obj.pk})
    return f"{reverse('audit:auditentry_list')}?{query}"
