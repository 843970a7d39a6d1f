from django import forms
from django.utils.translation import gettext_lazy as _

from chargeops.forms import ScopedModelForm

from .filtersets import maintenance_people
from .models import WorkOrder


class WorkOrderForm(ScopedModelForm):
    """A work order added by hand, or from an alarm (its pile, problem and source prefilled)."""

    class Meta:
        model = WorkOrder
        fields = ["pile", "problem_description", "source_alarm"]
        widgets = {"problem_description": forms.Textarea(attrs={"rows": 4}), "source_alarm": forms.HiddenInput}


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label=_("Maintenance person"))
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = maintenance_people(user)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class CompleteForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was repaired"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class ConfirmForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class SendBackForm(forms.Form):
    reason = forms.CharField(label=_("Why it is sent back"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)
