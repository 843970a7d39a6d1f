import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Operator
from chargeops.forms import ScopedModelForm

from .models import Area, Station

TIME_ZONE_CHOICES = [("", "---------")] + [(tz, tz.replace("_", " ")) for tz in sorted(zoneinfo.available_timezones())]


class AreaForm(ScopedModelForm):
    class Meta:
        model = Area
        fields = ["name", "description"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if user.operator_id is None and not self.instance.pk:
            # A platform admin works across operators and says whose area this is.
            self.fields = {
                "operator": forms.ModelChoiceField(Operator.objects.all(), label=_("Operator")),
                **self.fields,
            }


class StationForm(ScopedModelForm):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIME_ZONE_CHOICES,
        help_text=_("Statistics count days in this time zone."),
    )

    class Meta:
        model = Station
        fields = ["area", "name", "address", "latitude", "longitude", "time_zone", "tariff", "opening_hours"]
        widgets = {
            "address": forms.TextInput(attrs={"wide": True}),
            "latitude": forms.NumberInput(attrs={"step": "0.000001", "data-map": "lat"}),
            "longitude": forms.NumberInput(attrs={"step": "0.000001", "data-map": "lng"}),
        }
        help_texts = {
            "latitude": _("−90 to 90. Click the map to pick it."),
            "longitude": _("−180 to 180."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk and not self.initial.get("time_zone") and user.operator:
            self.initial["time_zone"] = user.operator.time_zone


class StationMoveForm(forms.Form):
    """Move chosen stations into an area."""

    stations = forms.ModelMultipleChoiceField(queryset=Station.objects.none(), label=_("Stations to move here"))

    def __init__(self, *args, user, area, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stations"].queryset = (
            Station.objects.for_user(user)
            .filter(area__operator=area.operator)
            .exclude(area=area)
            .select_related("area")
        )
        self.fields["stations"].label_from_instance = lambda station: f"{station.name} ({station.area})"
