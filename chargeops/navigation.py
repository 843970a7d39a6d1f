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
        _("Statistic analysis"),
        [
            (_("Order statistics"), "analytics:order_figures", "analytics.view_stationdaily"),
            (_("Energy statistics"), "analytics:energy_figures", "analytics.view_stationdaily"),
            (_("Revenue statistics"), "analytics:amount_figures", "analytics.view_stationdaily"),
            (_("Cycle comparison"), "analytics:month_on_month", "analytics.view_stationdaily"),
            (_("Year-on-year analysis"), "analytics:year_on_year", "analytics.view_stationdaily"),
            (_("Charging power"), "analytics:power", "analytics.view_stationdaily"),
            (_("Station usage rate"), "analytics:usage", "analytics.view_stationdaily"),
            (_("Pile fault analysis"), "analytics:fault_figures", "maintenance.view_alarm"),
            (_("Pile status analysis"), "analytics:pile_status", "piles.view_pile"),
            (_("Work order figures"), "analytics:workorder_figures", "maintenance.view_workorder"),
        ],
    ),
    (
        _("Business functions"),
        [
            (_("Operations areas"), "stations:area_list", "stations.view_area"),
            (_("Charging stations"), "stations:station_list", "stations.view_station"),
            (_("Charging piles"), "piles:pile_list", "piles.view_pile"),
            (_("Charging orders"), "orders:chargingorder_list", "orders.view_chargingorder"),
            (_("Drivers"), "drivers:driver_list", "drivers.view_driver"),
            (_("Alarm management"), "maintenance:alarm_list", "maintenance.view_alarm"),
            (_("Fault repair work orders"), "maintenance:workorder_list", "maintenance.view_workorder"),
            (_("Work order statistics"), "analytics:workorder_people", "maintenance.view_workorder"),
            (_("Pile security events"), "gateway:securityevent_list", "gateway.view_securityevent"),
            (_("Firmware packages"), "firmware:firmwarepackage_list", "firmware.view_firmwarepackage"),
            (_("Firmware upgrades"), "firmware:firmwareupgrade_list", "firmware.view_firmwareupgrade"),
        ],
    ),
    (
        _("System management"),
        [
            (_("Users"), "accounts:user_list", "accounts.view_user"),
            (_("Roles"), "accounts:role_list", "accounts.view_role"),
            (_("Operators"), "accounts:operator_list", "accounts.view_operator"),
            (_("Audit log"), "audit:auditentry_list", "audit.view_auditentry"),
        ],
    ),
]


def menu_for(request) -> list[dict]:
    sections = []
    for title, entries in MENU:
        items = [
            {"label": label, "url": reverse(url_name)}
            for label, url_name, permission in entries
            if not permission or request.user.has_perm(permission)
        ]
        if items:
            sections.append({"title": title, "items": items})
    # The entry whose URL is the longest prefix of the page is the active one (/stations/areas/
    # is the areas entry, not the stations entry).
    matches = [
        item
        for section in sections
        for item in section["items"]
        if request.path == item["url"] or (item["url"] != "/" and request.path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return sections
