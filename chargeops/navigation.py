"""The menu of PRODUCT.md, in one place. An entry shows when its page exists and the user holds
its permission; later work adds its entries here."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

MENU = [
    (
        _("Operation"),
        [
            (_("Dashboard"), "home", None),
        ],
    ),
    (
        _("Business functions"),
        [
            (_("Operations areas"), "stations:area_list", "stations.view_area"),
            (_("Charging stations"), "stations:station_list", "stations.view_station"),
            (_("Charging piles"), "piles:pile_list", "piles.view_pile"),
        ],
    ),
]


def menu_for(request) -> list[dict]:
    sections = []
    for title, entries in MENU:
        items = []
        for label, url_name, permission in entries:
            if permission and not request.user.has_perm(permission):
                continue
            url = reverse(url_name)
            active = request.path == url if url == "/" else request.path.startswith(url)
            items.append({"label": label, "url": url, "active": active})
        if items:
            sections.append({"title": title, "items": items})
    return sections
