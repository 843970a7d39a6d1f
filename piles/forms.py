from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from chargeops.forms import ScopedInlineFormSet, ScopedModelForm

from .models import Gun, Pile
from .services import PILE_FIELDS


class PileForm(ScopedModelForm):
    class Meta:
        model = Pile
        fields = PILE_FIELDS
        widgets = {
            "rated_power_kw": forms.NumberInput(attrs={"step": "0.1", "min": "0.1"}),
            "voltage_min": forms.NumberInput(attrs={"min": "0"}),
            "voltage_max": forms.NumberInput(attrs={"min": "0"}),
        }

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("voltage_min"), cleaned.get("voltage_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "voltage_max",
                _("The maximum voltage must not be below the minimum voltage (%(low)s V).") % {"low": low},
            )
        return cleaned


class GunForm(forms.ModelForm):
    class Meta:
        model = Gun
        fields = ["connector_id", "connector_type"]
        widgets = {"connector_id": forms.NumberInput(attrs={"min": "1"})}

    def validate_unique(self):
        # Checked against the other rows of the submission by the formset, and against the
        # database by the service, which lets guns swap numbers; per row it would refuse swaps.
        pass


class BaseGunFormSet(ScopedInlineFormSet):
    def clean(self):
        super().clean()
        kept = [form.cleaned_data for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if not kept:
            raise forms.ValidationError(_("A pile needs at least one gun."))


GunFormSet = inlineformset_factory(
    Pile, Gun, form=GunForm, formset=BaseGunFormSet, extra=0, min_num=1, validate_min=False, can_delete=True, max_num=8
)


class PileImportForm(forms.Form):
    """An Excel workbook of piles to check (and, once confirmed, import)."""

    file = forms.FileField(
        label=_lazy("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        help_text=_lazy("The template, filled in: one row per pile."),
    )
    update_existing = forms.BooleanField(
        label=_lazy("Update piles that already exist"),
        required=False,
        help_text=_lazy(
            "A row whose charge point id is one of your piles changes that pile. Unticked, such a row is an error."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.has_perm("piles.change_pile"):
            del self.fields["update_existing"]
