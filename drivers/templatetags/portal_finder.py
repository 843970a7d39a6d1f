"""Figures of the driver portal's station pages: distances and prices per kWh."""

from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from chargeops.templatetags.chargeops import currency_unit

register = template.Library()


@register.filter
def distance(km: float | None) -> str:
    """“350 m” close by, “1.2 km” in town, “1,234 km” across the country; empty when unknown."""
    if km is None:
        return ""
    if km < 1:
        metres = max(10, round(km * 1000, -1))
        return _("%(metres)s m") % {"metres": formats.number_format(int(metres), 0)}
    places = 1 if round(km, 1) < 10 else 0
    # number_format cuts a float's decimals off; rounded first, 2,345.6 km reads 2,346.
    rounded = round(km, places)
    return _("%(km)s km") % {"km": formats.number_format(rounded, places, use_l10n=True, force_grouping=True)}


@register.filter
def per_kwh(price: Decimal | None, currency: str = "") -> str:
    """A price per kWh with the decimals it has, two to four (tariffs are set to 0.0001, so
    0.2150 reads “0.215”, not a rounded “0.22”), and the currency's word; “—” when none."""
    if price is None:
        return "—"
    places = min(4, max(2, -price.normalize().as_tuple().exponent))
    amount = formats.number_format(price, places, use_l10n=True, force_grouping=True)
    unit = currency_unit(currency)
    return _("%(amount)s/kWh") % {"amount": f"{amount} {unit}" if unit else amount}


# The portal's state colours (portal.css), as the gun page colours a gun's state.
AVAILABILITY_CLASSES = {"available": "state-ok", "in_use": "state-busy", "offline": "", "faulted": "state-bad"}


@register.filter
def availability_class(state: str) -> str:
    return AVAILABILITY_CLASSES.get(str(state), "")
