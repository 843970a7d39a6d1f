from django.urls import path

from . import views

app_name = "maintenance"

urlpatterns = [
    path("alarms/", views.AlarmListView.as_view(), name="alarm_list"),
    path("alarms/<int:pk>/", views.AlarmDetailView.as_view(), name="alarm_detail"),
    path("alarms/<int:pk>/acknowledge/", views.AlarmAcknowledgeView.as_view(), name="alarm_acknowledge"),
    path("work-orders/", views.WorkOrderListView.as_view(), name="workorder_list"),
    path("work-orders/add/", views.WorkOrderCreateView.as_view(), name="workorder_add"),
    path("work-orders/<int:pk>/", views.WorkOrderDetailView.as_view(), name="workorder_detail"),
    path("work-orders/<int:pk>/claim/", views.WorkOrderClaimView.as_view(), name="workorder_claim"),
    path("work-orders/<int:pk>/assign/", views.WorkOrderAssignView.as_view(), name="workorder_assign"),
    path("work-orders/<int:pk>/complete/", views.WorkOrderCompleteView.as_view(), name="workorder_complete"),
    path("work-orders/<int:pk>/confirm/", views.WorkOrderConfirmView.as_view(), name="workorder_confirm"),
    path("work-orders/<int:pk>/send-back/", views.WorkOrderSendBackView.as_view(), name="workorder_send_back"),
]
