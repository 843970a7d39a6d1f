from django.utils.functional import SimpleLazyObject

from .middleware import on_portal
from .views.base import network_of


def portal(request):
    """The network of a portal page that is not one of ours (django-allauth's sign-in and
    sign-up pages), so that every portal page carries the network's name. Read only when a
    template uses it, and only under /drive/."""
    if not on_portal(request):
        return {}
    return {"network": SimpleLazyObject(lambda: network_of(request))}
