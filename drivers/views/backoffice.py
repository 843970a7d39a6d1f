"""The back office's driver pages: the operator's drivers, one driver's wallet and orders, and
the refund an operator gives into a wallet."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from chargeops.templatetags.chargeops import money
from chargeops.views import ObjectDetailView, ObjectListView, form_add_service_error, page_size, table_paginate
from orders.tables import OrderTable

from ..filtersets import DriverFilterSet
from ..forms import RefundForm
from ..models import Driver
from ..selectors import driver_orders
from ..services import wallet_refund
from ..tables import DriverTable, LedgerTable

RECENT_ORDERS = 10


class DriverListView(ObjectListView):
    model = Driver
    filterset_class = DriverFilterSet
    table_class = DriverTable

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("user", "id_tag", "operator")
            .annotate(order_count=Count("id_tag__orders"), last_charge=Max("id_tag__orders__started_at"))
        )


class DriverDetailView(ObjectDetailView):
    """A driver's account, wallet ledger and latest orders, and the refund form for those who
    may refund."""

    model = Driver
    template_name = "drivers/driver_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("user", "id_tag", "operator")

    def get_context_data(self, refund_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        driver = self.object
        user = self.request.user
        if user.has_perm("drivers.view_ledgerentry"):
            entries = driver.ledger.select_related("order", "created_by", "driver__operator")
            ledger = LedgerTable(entries)
            ledger.request = self.request
            table_paginate(ledger, self.request, page_size(self.request))
            context["ledger"] = ledger
        orders = OrderTable(
            driver_orders(driver)[:RECENT_ORDERS],
            exclude=("stopped_at", "duration", "created_at"),
            orderable=False,
            empty_text=_("No charging orders yet."),
        )
        orders.request = self.request
        context["orders"] = orders
        context["email_verified"] = driver.user.emailaddress_set.filter(
            email__iexact=driver.email, verified=True
        ).exists()
        if user.has_perm("drivers.refund_driver"):
            context["refund_form"] = refund_form or RefundForm(driver=driver)
        return context


class DriverRefundView(DriverDetailView):
    """Refund into the driver's wallet. Refused input re-renders the driver's page with the
    form and its messages; nothing is written."""

    http_method_names = ["post"]
    permission = "drivers.refund_driver"

    def post(self, request, *args, **kwargs):
        self.object = driver = self.get_object()
        form = RefundForm(request.POST, driver=driver)
        if form.is_valid():
            try:
                entry = wallet_refund(user=request.user, driver=driver, **form.service_kwargs())
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("%(amount)s refunded to %(driver)s: the wallet holds %(balance)s.")
                    % {
                        "amount": money(entry.amount, driver.operator.currency),
                        "driver": driver,
                        "balance": money(entry.balance_after, driver.operator.currency),
                    },
                )
                return HttpResponseRedirect(driver.get_absolute_url())
        return self.render_to_response(self.get_context_data(refund_form=form))
