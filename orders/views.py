from chargeops.views import ObjectDetailView, ObjectListView, UncountedPaginator

from .filtersets import OrderFilterSet
from .models import ChargingOrder
from .tables import OrderTable


def orders_for_lists(queryset):
    return queryset.select_related("station", "pile", "gun")


class OrderListView(ObjectListView):
    model = ChargingOrder
    filterset_class = OrderFilterSet
    table_class = OrderTable
    # A network's full history holds millions of orders: pages do not count them.
    paginator_class = UncountedPaginator

    def get_queryset(self):
        return orders_for_lists(super().get_queryset())


class OrderDetailView(ObjectDetailView):
    model = ChargingOrder
    template_name = "orders/chargingorder_detail.html"

    def get_queryset(self):
        return orders_for_lists(super().get_queryset()).select_related("id_tag")
