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


class StepForm(forms.Form):
    """What a work order step asks for; its cleaned data are the step service's arguments.
    Every step form takes the user who takes the step (the assign form lists their operator's
    technicians), so that pages and step views make them all alike."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class AssignForm(StepForm):
    assignee = forms.ModelChoiceField(queryset=None, label=_("Maintenance person"))
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["assignee"].queryset = maintenance_people(user)


class CompleteForm(StepForm):
    resolution = forms.CharField(
        label=_("What was repaired"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class ConfirmForm(StepForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class SendBackForm(StepForm):
    reason = forms.CharField(label=_("Why it is sent back"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


# The form of each step that asks for something (claiming asks for nothing).
STEP_FORMS = {"assign": AssignForm, "complete": CompleteForm, "confirm": ConfirmForm, "send_back": SendBackForm}
