from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View

from chargeops.export import XLSX_TYPE
from chargeops.views import (
    ObjectActionView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectViewMixin,
)
from gateway.choices import CommandAction, CommandStatus
from gateway.forms import CommandForm, command_forms
from gateway.services import command_create
from orders.models import ChargingOrder

from . import importer, services
from .choices import UsageState
from .filtersets import PileFilterSet
from .forms import GunFormSet, PileForm, PileImportForm
from .models import Gun, Pile
from .selectors import max_gun_number, piles_for_list
from .tables import GunStatusColumn, PileTable

# Columns beyond this many guns would make the list unreadable; gun details show the rest.
MAX_GUN_COLUMNS = 4
# A preview lists this many good rows and errors; a file of 10,000 would make a page of megabytes.
PREVIEW_ROWS = 200


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


class PileImportMixin(ObjectViewMixin):
    """The batch import's pages: adding piles is what they need, and they share the preview."""

    model = Pile
    action = "add"

    def render_preview(self, plan: importer.ImportPlan, *, token: str | None, update_existing: bool):
        context = self.get_context_data(
            plan=plan,
            errors=plan.errors[:PREVIEW_ROWS],
            more_errors=max(len(plan.errors) - PREVIEW_ROWS, 0),
            rows=plan.rows[:PREVIEW_ROWS],
            more_rows=max(len(plan.rows) - PREVIEW_ROWS, 0),
            token=token,
            update_existing=update_existing,
        )
        return TemplateResponse(self.request, "piles/pile_import_preview.html", context)


class PileImportTemplateView(PileImportMixin, View):
    """The Excel template, with the user's stations in its drop-down list."""

    def get(self, request, *args, **kwargs):
        response = HttpResponse(importer.pile_template_build(user=request.user), content_type=XLSX_TYPE)
        response["Content-Disposition"] = 'attachment; filename="pile-import-template.xlsx"'
        return response


class PileImportView(PileImportMixin, TemplateView):
    """Upload a filled-in template; every row is checked and the preview shows what would be
    imported. Nothing is written until the preview is confirmed."""

    template_name = "piles/pile_import.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=PileImportForm(user=request.user)))

    def post(self, request, *args, **kwargs):
        form = PileImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            file = form.cleaned_data["file"]
            try:
                sheet = importer.pile_sheet_read(file)
            except ValidationError as error:
                form.add_error("file", error)
            else:
                update = form.cleaned_data.get("update_existing", False)
                plan = importer.import_rows_validate(user=request.user, rows=sheet.rows, update_existing=update)
                # Only a file that can be confirmed is kept; one with errors is to be fixed and sent again.
                token = importer.import_file_store(user=request.user, file=file) if plan.is_valid else None
                return self.render_preview(plan, token=token, update_existing=update)
        return self.render_to_response(self.get_context_data(form=form))


class PileImportConfirmView(PileImportMixin, TemplateView):
    """Import the previewed file. It is read and checked again: piles may have been added or
    changed since the preview, and then nothing is imported."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        user = request.user
        token = request.POST.get("token", "")
        update = request.POST.get("update_existing") == "1" and user.has_perm("piles.change_pile")
        try:
            sheet = importer.pile_sheet_read(importer.import_file_open(user=user, token=token))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(reverse("piles:pile_import"))
        plan = importer.import_rows_validate(user=user, rows=sheet.rows, update_existing=update)
        try:
            result = services.piles_import(user=user, plan=plan)
        except ValidationError as error:
            importer.import_file_discard(user=user, token=token)
            if plan.errors:
                messages.error(request, gettext("Piles changed since the preview: nothing was imported."))
            else:
                messages.error(request, " ".join(error.messages))
            return self.render_preview(plan, token=None, update_existing=update)
        importer.import_file_discard(user=user, token=token)
        messages.success(
            request,
            gettext("Import finished: %(created)s pile(s) created, %(updated)s updated.")
            % {"created": result.created, "updated": result.updated},
        )
        return HttpResponseRedirect(reverse("piles:pile_list"))
