from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext as _

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
