from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, include, path
from payments import urls as payment_urls

from .views import backoffice, finder, portal

app_name = "drivers"

# The payment provider's return and notification addresses answer without a session.
payment_patterns = [
    URLPattern(pattern.pattern, login_not_required(pattern.callback), pattern.default_args, pattern.name)
    for pattern in payment_urls.urlpatterns
]

portal_patterns = [
    path("", portal.PortalHomeView.as_view(), name="portal_home"),
    path("networks/", portal.NetworkListView.as_view(), name="network_list"),
    path("networks/<int:pk>/", portal.NetworkChooseView.as_view(), name="network_choose"),
    path("stations/", finder.StationFinderView.as_view(), name="station_finder"),
    path("stations/<int:pk>/", finder.PortalStationView.as_view(), name="portal_station"),
    path("gun/<str:charge_point_id>/<int:connector_id>/", portal.GunView.as_view(), name="gun"),
    path("gun/<str:charge_point_id>/<int:connector_id>/start/", portal.GunStartView.as_view(), name="gun_start"),
    path("charging/<int:pk>/", portal.ChargeView.as_view(), name="charge_detail"),
    path("wallet/", portal.WalletView.as_view(), name="wallet"),
    path("wallet/top-up/<str:token>/", portal.TopUpPayView.as_view(), name="top_up_pay"),
    path("wallet/top-up/<str:token>/done/", portal.TopUpDoneView.as_view(), name="top_up_done"),
    path("orders/", portal.OrderHistoryView.as_view(), name="order_history"),
    path("orders/<int:pk>/", portal.ReceiptView.as_view(), name="receipt"),
    path("orders/<int:pk>/stop/", portal.OrderStopView.as_view(), name="order_stop"),
]

urlpatterns = [
    path("drive/", include(portal_patterns)),
    path("drivers/", backoffice.DriverListView.as_view(), name="driver_list"),
    path("drivers/<int:pk>/", backoffice.DriverDetailView.as_view(), name="driver_detail"),
    path("drivers/<int:pk>/refund/", backoffice.DriverRefundView.as_view(), name="driver_refund"),
]
