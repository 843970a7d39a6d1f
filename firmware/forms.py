import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Operator
from chargeops.forms import scope_choice_fields
from piles.models import Pile
from stations.models import Station

from .models import FirmwarePackage


class FirmwarePackageForm(forms.Form):
    """Upload a firmware file for one pile model."""

    file = forms.FileField(label=_("Firmware file"))
    manufacturer = forms.CharField(
        label=_("Manufacturer"), max_length=100, help_text=_("As on the piles' pages (capitals do not matter).")
    )
    model = forms.CharField(label=_("Model"), max_length=100)
    version = forms.CharField(
        label=_("Version"),
        max_length=50,
        help_text=_("Exactly as the piles will report it when they restart with this firmware."),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=255, required=False, widget=forms.TextInput(attrs={"wide": True})
    )

    def __init__(self, *args, user, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user.operator_id is None:
            # A platform admin works across operators and says whose firmware this is.
            self.fields = {
                "operator": forms.ModelChoiceField(Operator.objects.all(), label=_("Operator")),
                **self.fields,
            }


class FirmwareUpgradeForm(forms.Form):
    """Start an upgrade: chosen piles, or the piles of the package's model at a station."""

    package = forms.ModelChoiceField(FirmwarePackage.objects.select_related("operator"), label=_("Firmware package"))
    piles = forms.ModelMultipleChoiceField(
        Pile.objects.select_related("station__area"),
        label=_("Piles"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12, "wide": True}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    station = forms.ModelChoiceField(
        Station.objects.all(),
        label=_("Or every pile of the model at"),
        required=False,
        help_text=_("Piles that run this version already or are being upgraded are left out."),
    )
    retrieve_at = forms.DateTimeField(
        label=_("Download from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    retries = forms.IntegerField(
        label=_("Download retries"),
        min_value=0,
        max_value=10,
        required=False,
        help_text=_("Empty: as the pile is set up."),
    )

    def __init__(self, *args, user, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope_choice_fields(self.fields, user)
        self.fields["piles"].label_from_instance = lambda pile: (
            f"{pile.name} · {pile.station} · {pile.manufacturer} {pile.model} · {pile.firmware_version or '—'}"
        )
        # Times people type are the operator's local times, as every page shows them.
        self.zone = zoneinfo.ZoneInfo(user.operator.time_zone if user.operator_id else "UTC")
        self.fields["retrieve_at"].help_text = _("%(zone)s time. Empty: at once.") % {"zone": self.zone.key}

    def clean_retrieve_at(self):
        value = self.cleaned_data.get("retrieve_at")
        if value is None:
            return None
        return timezone.localtime(value).replace(tzinfo=None).replace(tzinfo=self.zone)
