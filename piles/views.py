import segno
from django.contrib import messages
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chargeops.import_views import ImportConfirmView, ImportJobView, ImportStartView, ImportTemplateView
from chargeops.views import (
    ObjectActionView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
)
from drivers.views.base import portal_url
from gateway.choices import CommandAction, CommandStatus
from gateway.forms import CommandForm, command_forms
from gateway.services import command_create
from orders.models import ChargingOrder

from . import services
from .choices import UsageState
from .filtersets import PileFilterSet
from .forms import GunFormSet, PileForm
from .importer import PileImporter
from .models import Gun, Pile
from .selectors import max_gun_number, piles_for_list
from .tables import GunStatusColumn, PileTable

# Columns beyond this many guns would make the list unreadable; gun details show the rest.
MAX_GUN_COLUMNS = 4


class PileListView(ObjectListView):
    model = Pile
    filterset_class = PileFilterSet
    table_class = PileTable
    list_buttons = [
        (_("Download template"), "piles:pile_import_template", "add"),
        (_("Batch import"), "piles:pile_import", "add"),
    ]

    def get_queryset(self):
        return piles_for_list(self.request.user)

    def get_table_kwargs(self):
        guns = min(max_gun_number(self.request.user), MAX_GUN_COLUMNS)
        columns = [(f"gun_{number}", GunStatusColumn(number)) for number in range(1, guns + 1)]
        return {**super().get_table_kwargs(), "extra_columns": columns}


class PileDetailView(ObjectDetailView):
    model = Pile
    template_name = "piles/pile_detail.html"

    def get_queryset(self):
        return super().get_queryset().with_online_status().select_related("station__area").prefetch_related("guns")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent_orders"] = ChargingOrder.objects.filter(pile=self.object).select_related("gun")[:10]
        context["commands"] = self.object.commands.select_related("created_by")[:10]
        context["commands_waiting"] = any(
            c.status in (CommandStatus.PENDING, CommandStatus.SENT) for c in context["commands"]
        )
        if self.request.user.has_perm("gateway.add_command"):
            context["command_forms"] = command_forms(self.object)
        context["status_changes"] = self.object.status_changes.select_related("gun").order_by("-at", "-pk")[:10]
        if self.request.user.has_perm("maintenance.view_alarm"):
            context["recent_alarms"] = self.object.alarms.select_related("gun").order_by("-occurred_at")[:5]
        return context


def gun_qr_svg(url: str, title: str) -> str:
    """A QR code of `url` as inline SVG that takes the width CSS gives it. Error correction M
    survives a scuffed or partly dirty label; the 4-module quiet zone is the standard's."""
    return segno.make_qr(url, error="m").svg_inline(omitsize=True, svgclass="qr-code", title=title)


class PileQrView(ObjectDetailView):
    """A printable sheet of the pile's guns, a label each, whose QR code opens the gun's page
    in the driver portal. The address is absolute, on the host the sheet was opened from."""

    model = Pile
    template_name = "piles/pile_qr.html"

    def get_queryset(self):
        return super().get_queryset().select_related("station__area__operator").prefetch_related("guns")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pile = self.object
        labels = []
        for gun in pile.guns.all():
            url = portal_url(self.request, reverse("drivers:gun", args=[pile.charge_point_id, gun.connector_id]))
            title = gettext("QR code of gun %(number)s") % {"number": gun.connector_id}
            # segno writes the SVG and escapes the title; no user text reaches it unescaped.
            labels.append({"gun": gun, "url": url, "svg": mark_safe(gun_qr_svg(url, title))})
        context["labels"] = labels
        return context


class PileCommandView(ObjectActionView):
    """Queue a remote operation (OCPP call) for the pile; its answer shows on the pile's page."""

    model = Pile
    permission = "gateway.add_command"
    form_class = CommandForm
    service = staticmethod(command_create)

    def form_kwargs(self, obj):
        action = self.request.POST.get("action", "")
        return {"pile": obj, "action": action if action in CommandAction.values else CommandAction.RESET}

    def result_message(self, obj, result):
        if result.status == CommandStatus.FAILED:
            return messages.ERROR, _("%(command)s was not sent: %(reason)s") % {
                "command": result.get_action_display(),
                "reason": result.error,
            }
        return messages.SUCCESS, _("%(command)s sent to “%(pile)s”; its answer appears under Remote operations.") % {
            "command": result.get_action_display(),
            "pile": obj,
        }


class PileEditView(ObjectEditView):
    model = Pile
    form_class = PileForm
    formset_class = GunFormSet
    template_name = "piles/pile_edit.html"
    create_service = staticmethod(services.pile_create)
    update_service = staticmethod(services.pile_update)


class PileDeleteView(ObjectDeleteView):
    model = Pile
    delete_service = staticmethod(services.pile_delete)


class PileEnableView(ObjectActionView):
    model = Pile
    service = staticmethod(services.pile_set_usage)
    service_kwargs = {"usage_state": UsageState.ENABLED}
    success_message = _("Pile “%(obj)s” enabled.")


class PileDisableView(ObjectActionView):
    model = Pile
    service = staticmethod(services.pile_set_usage)
    service_kwargs = {"usage_state": UsageState.DISABLED}
    success_message = _("Pile “%(obj)s” disabled.")


class GunDetailView(ObjectDetailView):
    model = Gun
    template_name = "piles/gun_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("pile__station")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent_orders"] = ChargingOrder.objects.filter(gun=self.object).select_related("gun")[:10]
        return context


class PileImportView(ImportStartView):
    importer = PileImporter()


class PileImportTemplateView(ImportTemplateView):
    importer = PileImporter()


class PileImportJobView(ImportJobView):
    importer = PileImporter()


class PileImportConfirmView(ImportConfirmView):
    importer = PileImporter()
