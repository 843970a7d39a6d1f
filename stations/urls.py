from django.urls import path

from . import views

app_name = "stations"

urlpatterns = [
    path("areas/", views.AreaListView.as_view(), name="area_list"),
    path("areas/add/", views.AreaEditView.as_view(), name="area_add"),
    path("areas/<int:pk>/", views.AreaDetailView.as_view(), name="area_detail"),
    path("areas/<int:pk>/edit/", views.AreaEditView.as_view(), name="area_edit"),
    path("areas/<int:pk>/delete/", views.AreaDeleteView.as_view(), name="area_delete"),
    path("areas/<int:pk>/move-stations/", views.AreaMoveStationsView.as_view(), name="area_move_stations"),
    path("", views.StationListView.as_view(), name="station_list"),
    path("add/", views.StationEditView.as_view(), name="station_add"),
    path("<int:pk>/", views.StationDetailView.as_view(), name="station_detail"),
    path("<int:pk>/edit/", views.StationEditView.as_view(), name="station_edit"),
    path("<int:pk>/delete/", views.StationDeleteView.as_view(), name="station_delete"),
]
