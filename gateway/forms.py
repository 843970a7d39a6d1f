from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from ocpp.v16.enums import AvailabilityType, MessageTrigger, ResetType

from orders.choices import OrderStatus
from orders.models import ChargingOrder

from .choices import CommandAction

TRIGGERS = [
    (MessageTrigger.boot_notification, "BootNotification"),
    (MessageTrigger.heartbeat, "Heartbeat"),
    (MessageTrigger.meter_values, "MeterValues"),
    (MessageTrigger.status_notification, "StatusNotification"),
    (MessageTrigger.firmware_status_notification, "FirmwareStatusNotification"),
    (MessageTrigger.diagnostics_status_notification, "DiagnosticsStatusNotification"),
]

# The remote operations of a pile's page and the fields each asks for; the form for one command
# shows only these. UpdateFirmware is not one: firmware upgrades send it with a download link.
COMMAND_FIELDS = {
    CommandAction.REMOTE_START: ["connector_id", "id_tag"],
    CommandAction.REMOTE_STOP: ["connector_id"],
    CommandAction.RESET: ["reset_type"],
    CommandAction.UNLOCK_CONNECTOR: ["connector_id"],
    CommandAction.CHANGE_AVAILABILITY: ["connector_id", "availability"],
    CommandAction.GET_CONFIGURATION: ["key"],
    CommandAction.CHANGE_CONFIGURATION: ["key", "value"],
    CommandAction.TRIGGER_MESSAGE: ["requested_message", "connector_id"],
}
# Where a gun number may be left empty, it means the whole pile.
WHOLE_PILE_ALLOWED = {CommandAction.CHANGE_AVAILABILITY, CommandAction.TRIGGER_MESSAGE}


class CommandForm(forms.Form):
    """One remote operation on a pile; `payload()` is the OCPP request it becomes."""

    action = forms.ChoiceField(
        choices=[(action.value, action.label) for action in COMMAND_FIELDS], widget=forms.HiddenInput
    )
    connector_id = forms.TypedChoiceField(label=_("Gun"), coerce=int, required=False)
    id_tag = forms.CharField(label=_("Id tag"), max_length=20, help_text=_("The card or app token to charge for."))
    reset_type = forms.ChoiceField(
        label=pgettext_lazy("pile command", "Reset"),
        choices=[(ResetType.soft, _("Soft (restart software)")), (ResetType.hard, _("Hard (reboot)"))],
    )
    availability = forms.ChoiceField(
        label=_("Make"),
        choices=[(AvailabilityType.operative, _("Operative")), (AvailabilityType.inoperative, _("Inoperative"))],
    )
    key = forms.CharField(label=_("Configuration key"), max_length=50)
    value = forms.CharField(label=_("Value"), max_length=500)
    requested_message = forms.ChoiceField(label=_("Message"), choices=TRIGGERS)

    def __init__(self, *args, pile, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.pile = pile
        self.command = CommandAction(action)
        self.fields["action"].initial = self.command
        keep = {"action", *COMMAND_FIELDS.get(self.command, [])}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "connector_id" in self.fields:
            guns = [(gun.connector_id, _("Gun %(number)s") % {"number": gun.connector_id}) for gun in pile.guns.all()]
            whole = self.command in WHOLE_PILE_ALLOWED
            self.fields["connector_id"].choices = ([("", _("Whole pile"))] if whole else []) + guns
            self.fields["connector_id"].required = not whole
            self.fields["connector_id"].empty_value = 0 if whole else None
        if self.command == CommandAction.GET_CONFIGURATION:
            self.fields["key"].required = False
            self.fields["key"].help_text = _("Empty: read every key.")

    def clean_action(self):
        if self.cleaned_data["action"] != self.command:
            raise forms.ValidationError(_("This form sends another command."))
        return self.cleaned_data["action"]

    def clean(self):
        cleaned = super().clean()
        if self.command == CommandAction.REMOTE_STOP and cleaned.get("connector_id"):
            order = (
                ChargingOrder.objects.filter(
                    pile=self.pile, gun__connector_id=cleaned["connector_id"], status=OrderStatus.CHARGING
                )
                .exclude(transaction_id=None)
                .order_by("-started_at")
                .first()
            )
            if order is None:
                raise forms.ValidationError(_("Gun %(number)s is not charging.") % {"number": cleaned["connector_id"]})
            cleaned["transaction_id"] = order.transaction_id
        return cleaned

    def service_kwargs(self) -> dict:
        return {"action": self.command, "payload": self.payload()}

    def payload(self) -> dict:
        """The OCPP request's fields, in the `ocpp` package's names."""
        data = self.cleaned_data
        gun = data.get("connector_id")
        match self.command:
            case CommandAction.REMOTE_START:
                return {"id_tag": data["id_tag"], "connector_id": gun}
            case CommandAction.REMOTE_STOP:
                return {"transaction_id": data["transaction_id"]}
            case CommandAction.RESET:
                return {"type": data["reset_type"]}
            case CommandAction.UNLOCK_CONNECTOR:
                return {"connector_id": gun}
            case CommandAction.CHANGE_AVAILABILITY:
                return {"connector_id": gun or 0, "type": data["availability"]}
            case CommandAction.GET_CONFIGURATION:
                return {"key": [data["key"]]} if data.get("key") else {}
            case CommandAction.CHANGE_CONFIGURATION:
                return {"key": data["key"], "value": data["value"]}
            case CommandAction.TRIGGER_MESSAGE:
                return {"requested_message": data["requested_message"], **({"connector_id": gun} if gun else {})}


def command_forms(pile, data=None, action=None) -> list[CommandForm]:
    """A form for every command, the posted one bound to `data`."""
    return [CommandForm(data if command == action else None, pile=pile, action=command) for command in COMMAND_FIELDS]
