from django import template

from ..selectors import pile_upgrade_latest

register = template.Library()


@register.inclusion_tag("firmware/partials/pile_firmware.html", takes_context=True)
def pile_firmware(context, pile):
    """The pile's latest firmware upgrade and where it stands, for those who may read upgrades."""
    if not context["request"].user.has_perm("firmware.view_firmwareupgrade"):
        return {"target": None}
    return {"target": pile_upgrade_latest(pile)}
