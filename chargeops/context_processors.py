from django.utils.functional import SimpleLazyObject

from .navigation import menu_for


def navigation(request):
    """The side menu, worked out once per request and only when a template shows it: every
    `{% render_table %}` of a page runs the context processors again."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    if not hasattr(request, "_menu"):
        request._menu = SimpleLazyObject(lambda: menu_for(request))
    return {"menu": request._menu}
