from django.views.generic import TemplateView

from stations.selectors import pile_status_counts, station_map_points


class HomeView(TemplateView):
    """The landing page: the network at a glance. The full operation data dashboard (map, order,
    energy, revenue, work order and fault cards) grows here."""

    template_name = "analytics/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["map_points"] = station_map_points(user)
        context["station_count"] = len(context["map_points"])
        context["pile_counts"] = pile_status_counts(user)
        return context
