from django.views.generic import TemplateView

from stations.models import Station
from stations.selectors import pile_status_counts, station_map_points


class HomeView(TemplateView):
    """The landing page: the network at a glance. The full operation data dashboard (map, order,
    energy, revenue, work order and fault cards) grows here."""

    template_name = "analytics/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["station_count"] = Station.objects.for_user(user).count()
        context["pile_counts"] = pile_status_counts(user)
        context["map_points"] = station_map_points(user)
        return context
