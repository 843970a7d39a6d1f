from django.urls import path

from . import views

app_name = "piles"

urlpatterns = [
    path("", views.PileListView.as_view(), name="pile_list"),
    path("add/", views.PileEditView.as_view(), name="pile_add"),
    path("import/", views.PileImportView.as_view(), name="pile_import"),
    path("import/template/", views.PileImportTemplateView.as_view(), name="pile_import_template"),
    path("import/<int:pk>/", views.PileImportJobView.as_view(), name="pile_import_job"),
    path("import/<int:pk>/confirm/", views.PileImportConfirmView.as_view(), name="pile_import_confirm"),
    path("<int:pk>/", views.PileDetailView.as_view(), name="pile_detail"),
    path("<int:pk>/edit/", views.PileEditView.as_view(), name="pile_edit"),
    path("<int:pk>/delete/", views.PileDeleteView.as_view(), name="pile_delete"),
    path("<int:pk>/enable/", views.PileEnableView.as_view(), name="pile_enable"),
    path("<int:pk>/disable/", views.PileDisableView.as_view(), name="pile_disable"),
    path("<int:pk>/command/", views.PileCommandView.as_view(), name="pile_command"),
    path("<int:pk>/qr/", views.PileQrView.as_view(), name="pile_qr"),
    path("guns/<int:pk>/", views.GunDetailView.as_view(), name="gun_detail"),
]
