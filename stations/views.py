from django.contrib import messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from chargeops.views import ObjectActionView, ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView
from piles.models import Pile

from . import services
from .filtersets import AreaFilterSet, StationFilterSet
from .forms import AreaForm, StationForm, StationMoveForm
from .models import Area, Station
from .selectors import areas_with_counts, pile_status_counts, stations_with_pile_counts
from .tables import AreaTable, StationTable


class AreaListView(ObjectListView):
    model = Area
    filterset_class = AreaFilterSet
    table_class = AreaTable

    def get_queryset(self):
        return areas_with_counts(self.request.user)


class AreaDetailView(ObjectDetailView):
    model = Area
    template_name = "stations/area_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["stations"] = stations_with_pile_counts(user).filter(area=self.object)
        context["pile_counts"] = pile_status_counts(user, station__area=self.object)
        if context["can_change"]:
            context["move_form"] = StationMoveForm(user=user, area=self.object)
        return context


class AreaEditView(ObjectEditView):
    model = Area
    form_class = AreaForm
    create_service = staticmethod(services.area_create)
    update_service = staticmethod(services.area_update)


class AreaDeleteView(ObjectDeleteView):
    model = Area
    delete_service = staticmethod(services.area_delete)


class AreaMoveStationsView(ObjectActionView):
    """Move stations of the operator into this area."""

    model = Area

    def post(self, request, *args, **kwargs):
        area = self.get_scoped_object()
        form = StationMoveForm(request.POST, user=request.user, area=area)
        if form.is_valid():
            moved = services.stations_move(user=request.user, stations=form.cleaned_data["stations"], area=area)
            messages.success(request, _("%(count)d station(s) moved to “%(area)s”.") % {"count": moved, "area": area})
        else:
            messages.error(request, _("Choose stations of your own operator to move."))
        return HttpResponseRedirect(area.get_absolute_url())


class StationListView(ObjectListView):
    model = Station
    filterset_class = StationFilterSet
    table_class = StationTable

    def get_queryset(self):
        return stations_with_pile_counts(self.request.user)


class StationDetailView(ObjectDetailView):
    model = Station
    template_name = "stations/station_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("area", "tariff", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["piles"] = (
            Pile.objects.for_user(self.request.user)
            .filter(station=self.object)
            .with_online_status()
            .prefetch_related("guns")
        )
        context["pile_counts"] = pile_status_counts(self.request.user, station=self.object)
        return context


class StationEditView(ObjectEditView):
    model = Station
    form_class = StationForm
    template_name = "stations/station_edit.html"
    create_service = staticmethod(services.station_create)
    update_service = staticmethod(services.station_update)


class StationDeleteView(ObjectDeleteView):
    model = Station
    delete_service = staticmethod(services.station_delete)
