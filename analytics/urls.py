from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("orders/", views.OrderFiguresView.as_view(), name="order_figures"),
    path("energy/", views.EnergyFiguresView.as_view(), name="energy_figures"),
    path("amount/", views.AmountFiguresView.as_view(), name="amount_figures"),
    path("work-orders/", views.WorkOrderFiguresView.as_view(), name="workorder_figures"),
    path("work-orders/people/", views.WorkOrderPeopleView.as_view(), name="workorder_people"),
    path("faults/", views.FaultFiguresView.as_view(), name="fault_figures"),
    path("month-on-month/", views.MonthOnMonthView.as_view(), name="month_on_month"),
    path("year-on-year/", views.YearOnYearView.as_view(), name="year_on_year"),
    path("power/", views.PowerView.as_view(), name="power"),
    path("usage/", views.UsageView.as_view(), name="usage"),
    path("pile-status/", views.PileStatusView.as_view(), name="pile_status"),
]
