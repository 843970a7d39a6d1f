from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chargeops.views import ObjectActionView, ObjectDetailView, ObjectEditView, ObjectListView

from . import services
from .choices import AlarmStatus
from .filtersets import AlarmFilterSet, WorkOrderFilterSet
from .forms import STEP_FORMS, AssignForm, CompleteForm, ConfirmForm, SendBackForm, WorkOrderForm
from .models import Alarm, WorkOrder
from .tables import AlarmTable, WorkOrderTable


def alarms_for_pages(queryset):
    return queryset.select_related("pile__station", "gun", "acknowledged_by")


def work_orders_for_pages(queryset):
    return queryset.select_related("pile__station", "applicant", "assignee")


class AlarmListView(ObjectListView):
    model = Alarm
    filterset_class = AlarmFilterSet
    table_class = AlarmTable

    def get_queryset(self):
        return alarms_for_pages(super().get_queryset())


class AlarmDetailView(ObjectDetailView):
    model = Alarm
    template_name = "maintenance/alarm_detail.html"

    def get_queryset(self):
        return alarms_for_pages(super().get_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        alarm, user = self.object, self.request.user
        context["work_orders"] = work_orders_for_pages(alarm.work_orders.all())
        context["can_acknowledge"] = alarm.status == AlarmStatus.OPEN and user.has_perm("maintenance.change_alarm")
        if user.has_perm("maintenance.add_workorder"):
            query = urlencode(
                {"pile": alarm.pile_id, "source_alarm": alarm.pk, "problem_description": alarm.problem_description}
            )
            context["work_order_url"] = f"{reverse('maintenance:workorder_add')}?{query}"
        return context


class AlarmAcknowledgeView(ObjectActionView):
    model = Alarm
    service = staticmethod(services.alarm_acknowledge)
    success_message = _("Alarm acknowledged.")


class WorkOrderListView(ObjectListView):
    model = WorkOrder
    filterset_class = WorkOrderFilterSet
    table_class = WorkOrderTable

    def get_queryset(self):
        return work_orders_for_pages(super().get_queryset())


class WorkOrderDetailView(ObjectDetailView):
    """The work order, its whole repair process, and the steps the user may take now."""

    model = WorkOrder
    template_name = "maintenance/workorder_detail.html"

    def get_queryset(self):
        return work_orders_for_pages(super().get_queryset()).select_related("source_alarm")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["events"] = self.object.events.select_related("actor")
        context["actions"] = [
            {
                "name": action,
                "label": services.TRANSITIONS[action].label,
                "url": reverse(f"maintenance:workorder_{action}", args=[self.object.pk]),
                "form": STEP_FORMS[action](user=user) if action in STEP_FORMS else None,
            }
            for action in services.work_order_actions(user, self.object)
        ]
        return context


class WorkOrderCreateView(ObjectEditView):
    model = WorkOrder
    form_class = WorkOrderForm
    create_service = staticmethod(services.work_order_create)


class WorkOrderStepView(ObjectActionView):
    """One step of the lifecycle; the service refuses what the status or the role does not allow."""

    model = WorkOrder
    service_object_name = "work_order"

    def form_kwargs(self, obj) -> dict:
        return {"user": self.request.user}


class WorkOrderClaimView(WorkOrderStepView):
    service = staticmethod(services.work_order_claim)
    success_message = _("You claimed work order %(obj)s.")


class WorkOrderAssignView(WorkOrderStepView):
    service = staticmethod(services.work_order_assign)
    form_class = AssignForm
    success_message = _("Work order %(obj)s assigned.")


class WorkOrderCompleteView(WorkOrderStepView):
    service = staticmethod(services.work_order_complete)
    form_class = CompleteForm
    success_message = _("Work order %(obj)s completed; the operator will confirm the repair.")


class WorkOrderConfirmView(WorkOrderStepView):
    service = staticmethod(services.work_order_confirm)
    form_class = ConfirmForm
    success_message = _("Work order %(obj)s confirmed.")


class WorkOrderSendBackView(WorkOrderStepView):
    service = staticmethod(services.work_order_send_back)
    form_class = SendBackForm
    success_message = _("Work order %(obj)s sent back to the maintenance person.")
