from django.urls import path

from . import views

app_name = "gateway"

urlpatterns = [
    path("security-events/", views.SecurityEventListView.as_view(), name="securityevent_list"),
]
