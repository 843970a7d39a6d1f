"""The driver's pages: home, networks, a gun's page (where its QR code leads) with Start, the
session while charging, the wallet and its top-ups, and the history of orders with receipts."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View
from payments import PaymentError, PaymentStatus, RedirectNeeded

from accounts.models import Operator
from orders.choices import OrderStatus

from ..choices import GunAvailability, StartState
from ..forms import TopUpForm, networks
from ..models import ChargeRequest, TopUp
from ..selectors import (
    charge_request_for_driver,
    driver_orders,
    driver_session,
    gun_availability,
    gun_for_portal,
    price_now,
    session_figures,
    stop_pending,
)
from ..services import charge_start, charge_stop, gun_start_refusal, top_up_create, top_ups_open
from .base import PortalMixin, network_remember

# States after which the session page stops refreshing itself.
FINAL_STATES = {StartState.FINISHED, StartState.REFUSED, StartState.NO_ANSWER, StartState.NOT_STARTED}


class PortalHomeView(PortalMixin, TemplateView):
    """A driver's start page: the session under way, the wallet, the latest orders. A visitor
    goes to the stations of the network they came to, or chooses one."""

    driver_required = False
    template_name = "drivers/portal_home.html"

    def get(self, request, *args, **kwargs):
        if self.driver is None:
            return redirect("drivers:station_finder" if self.network else "drivers:network_list")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            charging=driver_session(self.driver), recent=driver_orders(self.driver)[:3], **kwargs
        )


class NetworkListView(PortalMixin, TemplateView):
    driver_required = False
    template_name = "drivers/network_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(networks=networks(), **kwargs)


class NetworkChooseView(PortalMixin, View):
    driver_required = False

    def get(self, request, pk):
        network_remember(request, get_object_or_404(networks(), pk=pk))
        return redirect("drivers:station_finder")


class GunView(PortalMixin, TemplateView):
    """Where a gun's QR code leads: the gun's state, the price now, and Start for a driver who
    can start here, or the reason they cannot."""

    driver_required = False
    template_name = "drivers/gun.html"

    def get_context_data(self, **kwargs):
        gun = gun_for_portal(self.kwargs["charge_point_id"], self.kwargs["connector_id"])
        operator: Operator = gun.pile.station.area.operator
        if self.driver is None:
            network_remember(self.request, operator)
        return super().get_context_data(
            gun=gun,
            pile=gun.pile,
            station=gun.pile.station,
            operator=operator,
            price=price_now(gun.pile.station),
            availability=GunAvailability(gun_availability(gun.pile, gun)),
            refusal=gun_start_refusal(self.driver, gun) if self.driver else None,
            charging=driver_session(self.driver) if self.driver else None,
            **kwargs,
        )


class GunStartView(PortalMixin, View):
    http_method_names = ["post"]

    def post(self, request, charge_point_id, connector_id):
        gun = gun_for_portal(charge_point_id, connector_id)
        try:
            charge = charge_start(driver=self.driver, gun=gun)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("drivers:gun", charge_point_id=gun.pile.charge_point_id, connector_id=gun.connector_id)
        return redirect(charge)


class ChargeView(PortalMixin, TemplateView):
    """A start and its session: waiting for the pile, refused, or charging with live energy,
    power, duration and cost, refreshing itself until it ends."""

    template_name = "drivers/charge.html"

    def get_context_data(self, **kwargs):
        charge = charge_request_for_driver(self.driver, self.kwargs["pk"])
        state = charge.state
        return super().get_context_data(
            charge=charge,
            state=state,
            final=state in FINAL_STATES,
            figures=session_figures(charge.order) if charge.order_id else None,
            stopping=charge.order_id is not None and stop_pending(charge.order),
            currency=self.driver.operator.currency,
            **kwargs,
        )


class OrderStopView(PortalMixin, View):
    """Stop one of the driver's sessions, from its start's page or from the order's own page (a
    session the pile started after its start had given up waiting has no start page)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        order = get_object_or_404(driver_orders(self.driver), pk=pk)
        try:
            charge_stop(driver=self.driver, order=order)
            messages.success(request, _("The pile is told to stop. The session ends when it confirms."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        charge = ChargeRequest.objects.filter(order=order).first()
        return redirect(charge or reverse("drivers:receipt", args=[order.pk]))


class WalletView(PortalMixin, TemplateView):
    """The balance, a top-up, and every movement of the wallet."""

    template_name = "drivers/wallet.html"
    presets = ["20", "50", "100"]

    def get_context_data(self, **kwargs):
        ledger = self.driver.ledger.select_related("order").order_by("-created_at", "-pk")
        page = Paginator(ledger, 20).get_page(self.request.GET.get("page"))
        kwargs.setdefault("form", TopUpForm())
        return super().get_context_data(
            page=page,
            presets=self.presets,
            currency=self.driver.operator.currency,
            top_ups_open=top_ups_open(),
            **kwargs,
        )

    def post(self, request):
        form = TopUpForm(request.POST)
        if form.is_valid():
            try:
                top_up = top_up_create(
                    driver=self.driver, amount=form.cleaned_data["amount"], ip_address=request.META.get("REMOTE_ADDR")
                )
                return redirect("drivers:top_up_pay", token=top_up.token)
            except ValidationError as error:
                form.add_error(None, error)
        return self.render_to_response(self.get_context_data(form=form))


class TopUpMixin(PortalMixin):
    def get_top_up(self) -> TopUp:
        return get_object_or_404(TopUp.objects.filter(driver=self.driver), token=self.kwargs["token"])


class TopUpPayView(TopUpMixin, TemplateView):
    """The payment provider's form (the dummy provider's in the demo) or its redirect."""

    template_name = "drivers/top_up_pay.html"

    def get(self, request, *args, **kwargs):
        return self.pay(request)

    def post(self, request, *args, **kwargs):
        return self.pay(request)

    def pay(self, request):
        top_up = self.get_top_up()
        if top_up.status not in (PaymentStatus.WAITING, PaymentStatus.INPUT):
            return redirect("drivers:top_up_done", token=top_up.token)
        try:
            form = top_up.get_form(data=request.POST or None)
        except RedirectNeeded as to:
            return redirect(str(to))
        except (PaymentError, OSError):
            # The provider refused the request or could not be reached: nothing was paid.
            messages.error(request, _("The payment provider could not take the payment. Try again later."))
            return redirect("drivers:wallet")
        demo = settings.PAYMENT_VARIANTS[top_up.variant][0] == "payments.dummy.DummyProvider"
        return self.render_to_response(self.get_context_data(top_up=top_up, form=form, demo=demo))


class TopUpDoneView(TopUpMixin, TemplateView):
    template_name = "drivers/top_up_done.html"

    def get_context_data(self, **kwargs):
        top_up = self.get_top_up()
        return super().get_context_data(
            top_up=top_up,
            paid=top_up.status == PaymentStatus.CONFIRMED,
            waiting=top_up.status in (PaymentStatus.WAITING, PaymentStatus.INPUT, PaymentStatus.PREAUTH),
            **kwargs,
        )


class OrderHistoryView(PortalMixin, TemplateView):
    template_name = "drivers/order_history.html"

    def get_context_data(self, **kwargs):
        page = Paginator(driver_orders(self.driver), 20).get_page(self.request.GET.get("page"))
        return super().get_context_data(page=page, currency=self.driver.operator.currency, **kwargs)


class ReceiptView(PortalMixin, TemplateView):
    """An order's page: while it charges, its live figures and Stop; then its receipt."""

    template_name = "drivers/receipt.html"

    def get_context_data(self, **kwargs):
        order = get_object_or_404(driver_orders(self.driver), pk=self.kwargs["pk"])
        charging = order.status == OrderStatus.CHARGING
        return super().get_context_data(
            order=order,
            charging=charging,
            figures=session_figures(order) if charging else None,
            stopping=charging and stop_pending(order),
            entries=order.ledger_entries.filter(driver=self.driver).order_by("created_at", "pk"),
            currency=self.driver.operator.currency,
            **kwargs,
        )
