"""The batch import of piles from an Excel template: its columns, how a row is checked, and how
a checked plan is written. The reading, the template workbook, the background job and the
pages are the generic import's (chargeops.imports); nothing here writes to the database but
`write`, through the services.

A station is named as the template's list names it: by its name, or, where several of the
user's stations share a name (in different areas), by "name (area)".
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chargeops.imports import (
    ImportColumn,
    Importer,
    ImportPlan,
    ImportResult,
    ImportRow,
    Progress,
    cell_choice,
    cell_number,
    cell_text,
    choice_message,
    register,
)
from orders.models import ChargingOrder
from stations.models import Station

from .choices import ChargingMethod, ConnectorType, UsageState
from .forms import GunFormSet
from .models import Gun, Pile
from .services import PILE_FIELDS, piles_import

MAX_GUNS = GunFormSet.max_num
# The pile's own fields a row sets, beside its station and guns.
ROW_FIELDS = [field for field in PILE_FIELDS if field != "station"]


def pile_label(name: str) -> str:
    return str(capfirst(Pile._meta.get_field(name).verbose_name))


def station_labels(stations) -> dict[str, Station]:
    """Each station by the label the template lists it under: its name, or "name (area)" where
    the name is not the only one of its kind."""
    names = {}
    for station in stations:
        names.setdefault(station.name.casefold(), []).append(station)
    labels = {}
    for group in names.values():
        for station in group:
            labels[station.name if len(group) == 1 else f"{station.name} ({station.area.name})"] = station
    return labels


def gun_types_text(guns) -> str:
    return ", ".join(str(ConnectorType(gun.connector_type).label) for gun in guns)


@register
class PileImporter(Importer):
    kind = "piles"
    model = Pile
    update_label = gettext_lazy("Update piles that already exist")
    update_help = gettext_lazy(
        "A row whose charge point id is one of your piles changes that pile. Unticked, such a row is an error."
    )

    @property
    def preview_headers(self) -> list[str]:
        return [pile_label("charge_point_id"), pile_label("station"), pile_label("name"), _("Guns")]

    def columns(self, *, user=None) -> list[ImportColumn]:
        stations = sorted(station_labels(self._stations(user))) if user is not None else None
        return [
            ImportColumn(
                "station",
                pile_label("station"),
                _("The name of one of your stations (pick from the list)."),
                choices=stations,
            ),
            ImportColumn("name", pile_label("name"), _("Unique within the station.")),
            ImportColumn(
                "charge_point_id",
                pile_label("charge_point_id"),
                _("The pile's OCPP identity: 1–48 letters, digits, dots, colons, underscores or hyphens. Unique."),
            ),
            ImportColumn("manufacturer", pile_label("manufacturer"), ""),
            ImportColumn("model", pile_label("model"), ""),
            ImportColumn("serial_number", pile_label("serial_number"), _("May be left empty."), required=False),
            ImportColumn(
                "rated_power_kw",
                pile_label("rated_power_kw"),
                _("A number greater than zero, e.g. 7 or 60.5."),
                validation={"type": "decimal", "operator": "greaterThan", "formula1": "0"},
            ),
            ImportColumn(
                "voltage_min",
                pile_label("voltage_min"),
                _("A whole number of volts."),
                validation={"type": "whole", "operator": "greaterThanOrEqual", "formula1": "0"},
            ),
            ImportColumn(
                "voltage_max",
                pile_label("voltage_max"),
                _("A whole number, not below the minimum voltage."),
                validation={"type": "whole", "operator": "greaterThanOrEqual", "formula1": "0"},
            ),
            ImportColumn(
                "charging_method",
                pile_label("charging_method"),
                _("AC or DC (pick from the list)."),
                choices=[str(choice.label) for choice in ChargingMethod],
            ),
            ImportColumn(
                "gun_count",
                _("Number of guns"),
                _("1 to %(max)s.") % {"max": MAX_GUNS},
                validation={"type": "whole", "operator": "between", "formula1": "1", "formula2": str(MAX_GUNS)},
            ),
            ImportColumn(
                "connector_types",
                _("Gun connector types"),
                _("One connector type per gun, in gun order, separated by commas, e.g. “CCS2, CCS2”."),
                choices=[str(choice.label) for choice in ConnectorType],
                free_text=True,
            ),
            ImportColumn(
                "usage_state",
                pile_label("usage_state"),
                _("Enabled or Disabled (pick from the list); empty means Enabled."),
                required=False,
                choices=[str(choice.label) for choice in UsageState],
            ),
        ]

    def notes(self) -> list[str]:
        return [
            _(
                "A charge point id that one of your piles already has is an error, unless you tick "
                "“Update piles that already exist” when uploading: then that pile is changed."
            ),
            _(
                "To change many piles at once, download the template filled with your piles, edit it "
                "and import it with that box ticked: rows you did not change change nothing."
            ),
        ]

    def example(self, *, user) -> dict:
        stations = sorted(station_labels(self._stations(user)))
        return {
            "station": stations[0] if stations else _("Station name"),
            "name": _("Pile 01"),
            "charge_point_id": "EXAMPLE-0001",
            "manufacturer": "XingBang",
            "model": "XB-7",
            "serial_number": "",
            "rated_power_kw": 7,
            "voltage_min": 200,
            "voltage_max": 250,
            "charging_method": str(ChargingMethod.AC.label),
            "gun_count": 1,
            "connector_types": str(ConnectorType.TYPE2.label),
            "usage_state": str(UsageState.ENABLED.label),
        }

    def export_rows(self, *, user, limit: int) -> list[dict]:
        """The user's piles as template rows: the file that, imported with updates, changes
        nothing, and that people edit to change many piles at once."""
        labels = {station.pk: label for label, station in station_labels(self._stations(user)).items()}
        piles = Pile.objects.for_user(user).order_by("station__name", "name").prefetch_related("guns")[:limit]
        rows = []
        for pile in piles:
            guns = sorted(pile.guns.all(), key=lambda gun: gun.connector_id)
            rows.append(
                {
                    "station": labels[pile.station_id],
                    **{key: getattr(pile, key) for key in ROW_FIELDS},
                    "charging_method": str(ChargingMethod(pile.charging_method).label),
                    "usage_state": str(UsageState(pile.usage_state).label),
                    "gun_count": len(guns),
                    "connector_types": gun_types_text(guns),
                }
            )
        return rows

    def preview_row(self, row: ImportRow) -> list:
        fields = row.fields
        charge_point_id = row.target.charge_point_id if row.target is not None else fields["charge_point_id"]
        guns = _("unchanged") if fields["guns"] is None else len(fields["guns"])
        return [charge_point_id, str(fields["station"]), fields["name"], guns]

    def _stations(self, user):
        return Station.objects.for_user(user).select_related("area").order_by("name", "area__name")

    def check(self, *, user, rows, update_existing: bool, progress: Progress) -> ImportPlan:
        """Check every row as the pile form would (the model's own validation), and against the
        other rows and the database: charge point ids unique regardless of case, pile names
        unique per station. A row whose charge point id is one of the user's piles updates that
        pile when `update_existing` (or is unchanged when it matches it), and is an error
        otherwise. The database is read in a few queries for the whole file, not per row."""
        plan = ImportPlan()
        labels = {column.key: column.label for column in self.columns()}
        # A row's problems are listed in the order of the sheet's columns.
        order = {key: index for index, key in enumerate(labels)}
        file = _FileCheck.load(user, self._stations(user), rows, update_existing)
        for done, (number, values) in enumerate(rows, start=1):
            errors, fields, target = file.row(number, values)
            for key, message in sorted(errors.items(), key=lambda item: order.get(item[0], len(order))):
                column = labels.get(key) or (_("Row") if key == NON_FIELD_ERRORS else capfirst(key))
                plan.errors.append((number, column, message))
            if not errors:
                if target is not None and fields["guns"] is None and _matches(target, fields):
                    plan.unchanged += 1
                else:
                    plan.rows.append(ImportRow(number=number, fields=fields, target=target))
            progress(done)
        return plan

    def write(self, *, user, plan: ImportPlan, progress: Progress) -> ImportResult:
        return piles_import(user=user, plan=plan, progress=progress)


def _matches(pile: Pile, fields: dict) -> bool:
    """Whether a row says nothing new about a pile (its guns compared apart)."""
    return all(
        (getattr(pile, key + "_id") == value.pk) if key == "station" else getattr(pile, key) == value
        for key, value in fields.items()
        if key != "guns"
    )


def _existing_piles(user, charge_point_ids: list[str]) -> tuple[dict[str, Pile], set[int]]:
    """Piles with these charge point ids (any case), of any operator, and which are the user's."""
    lowered = sorted({cp.casefold() for cp in charge_point_ids if cp})
    existing, own = {}, set()
    for start in range(0, len(lowered), 2000):
        chunk = lowered[start : start + 2000]
        piles = Pile.objects.annotate(cp=Lower("charge_point_id")).filter(cp__in=chunk)
        for pile in piles.select_related("station__area"):
            existing[pile.cp] = pile
    if existing:
        own = set(
            Pile.objects.for_user(user).filter(pk__in=[p.pk for p in existing.values()]).values_list("pk", flat=True)
        )
    return existing, own


def _guns_change(current: list[Gun], connector_types: list[str]) -> tuple[list[dict], str | None]:
    """Gun rows (as the pile form gives them to `pile_update`) that give a pile these types in
    gun order. Its guns keep their numbers; guns past the list are removed, new ones numbered
    after the last; the reason it cannot be done: a gun to remove has orders."""
    rows = []
    number = max((gun.connector_id for gun in current), default=0)
    for index, kind in enumerate(connector_types):
        if index < len(current):
            rows.append({"id": current[index], "connector_id": current[index].connector_id, "connector_type": kind})
        else:
            number += 1
            rows.append({"id": None, "connector_id": number, "connector_type": kind})
    for gun in current[len(connector_types) :]:
        if gun.has_orders:
            return rows, _("Gun %(number)s has charging orders and cannot be removed.") % {"number": gun.connector_id}
        rows.append({"id": gun, "connector_id": gun.connector_id, "connector_type": gun.connector_type, "DELETE": True})
    return rows, None


@dataclass
class _FileCheck:
    """What checking a file's rows needs from the database, read once for the whole file, and
    what the rows already checked hold (charge point ids and names taken earlier in the file)."""

    update_existing: bool
    by_label: dict[str, Station]
    by_name: dict[str, list[Station]]
    existing: dict[str, Pile]
    own: set[int]
    guns: dict[int, list[Gun]]
    names_in_db: dict[tuple[int, str], int]
    seen_ids: dict[str, int] = field(default_factory=dict)
    seen_names: dict[tuple[int, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, user, stations, rows, update_existing: bool) -> "_FileCheck":
        stations = list(stations)
        by_name = {}
        for station in stations:
            by_name.setdefault(station.name.casefold(), []).append(station)
        existing, own = _existing_piles(user, [cell_text(values.get("charge_point_id")) for _n, values in rows])
        # Guns of the piles the file would update, and whether orders keep them from being removed.
        guns: dict[int, list[Gun]] = {}
        if update_existing and own:
            has_orders = Exists(ChargingOrder.objects.filter(gun=OuterRef("pk")))
            for gun in Gun.objects.filter(pile__in=own).annotate(has_orders=has_orders).order_by("connector_id"):
                guns.setdefault(gun.pile_id, []).append(gun)
        names = Pile.objects.filter(station__in=[station.pk for station in stations])
        return cls(
            update_existing=update_existing,
            by_label={label.casefold(): station for label, station in station_labels(stations).items()},
            by_name=by_name,
            existing=existing,
            own=own,
            guns=guns,
            names_in_db={
                (station_id, name): pk for station_id, name, pk in names.values_list("station_id", "name", "pk")
            },
        )

    def row(self, number: int, values: dict) -> tuple[dict[str, str], dict, Pile | None]:
        """A row's problems by column key, its fields for the services (guns included: None
        leaves an existing pile's guns as they are) and the pile it updates."""
        errors: dict[str, str] = {}
        data = {key: cell_text(values.get(key)) for key in ("name", "charge_point_id", "manufacturer", "model")}
        data["serial_number"] = cell_text(values.get("serial_number"))
        self._station(values, data, errors)
        for key, whole in (("rated_power_kw", False), ("voltage_min", True), ("voltage_max", True)):
            try:
                data[key] = cell_number(values.get(key), whole=whole)
            except ValueError:
                errors[key] = _("Enter a whole number.") if whole else _("Enter a number.")
        try:
            data["charging_method"] = cell_choice(values.get("charging_method"), ChargingMethod)
        except ValueError:
            errors["charging_method"] = choice_message(ChargingMethod)
        data["usage_state"] = UsageState.ENABLED
        if cell_text(values.get("usage_state")):
            try:
                data["usage_state"] = cell_choice(values.get("usage_state"), UsageState)
            except ValueError:
                errors["usage_state"] = choice_message(UsageState)
        connector_types = _connector_types(values, errors)

        # The model's own checks (lengths, the charge point id's characters, ranges). What
        # needs the database (the station, found above; the constraints) is checked for the
        # whole file at once, not with a query or three per row.
        try:
            Pile(**data).full_clean(exclude=[*errors, "station"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, " ".join(messages))
        if not {"voltage_min", "voltage_max"} & set(errors) and data["voltage_min"] > data["voltage_max"]:
            errors["voltage_max"] = _("The minimum voltage must not exceed the maximum voltage.")

        target = self._target(number, data, errors)
        self._name(number, data, target, errors)
        fields = dict(data, guns=None)
        if target is None:
            fields["guns"] = [
                {"id": None, "connector_id": index, "connector_type": kind}
                for index, kind in enumerate(connector_types, start=1)
            ]
        else:
            # The pile's identity, matched regardless of case, stays as the pile knows it.
            del fields["charge_point_id"]
            current = self.guns.get(target.pk, [])
            types_now = [gun.connector_type for gun in current]
            if not {"connector_types", "gun_count"} & set(errors) and types_now != connector_types:
                fields["guns"], refusal = _guns_change(current, connector_types)
                if refusal:
                    errors["gun_count"] = refusal
        return errors, fields, target

    def _station(self, values: dict, data: dict, errors: dict) -> None:
        name = cell_text(values.get("station"))
        folded = name.casefold()
        if not name:
            errors["station"] = _("Enter a station.")
        elif folded in self.by_label:
            data["station"] = self.by_label[folded]
        elif len(self.by_name.get(folded, [])) > 1:
            errors["station"] = _(
                "Several of your stations are named “%(name)s”: pick one from the list, which adds its area."
            ) % {"name": name}
        elif folded in self.by_name:
            data["station"] = self.by_name[folded][0]
        else:
            errors["station"] = _("No such station: “%(name)s”.") % {"name": name}

    def _target(self, number: int, data: dict, errors: dict) -> Pile | None:
        """The user's pile this row updates, checking the charge point id against the file."""
        charge_point_id = data["charge_point_id"]
        if not charge_point_id or "charge_point_id" in errors:
            return None
        folded = charge_point_id.casefold()
        if folded in self.seen_ids:
            errors["charge_point_id"] = _("“%(id)s” is also on row %(row)s.") % {
                "id": charge_point_id,
                "row": self.seen_ids[folded],
            }
            return None
        self.seen_ids[folded] = number
        target = self.existing.get(folded)
        if target is not None and not (self.update_existing and target.pk in self.own):
            errors["charge_point_id"] = _("A pile with this charge point id already exists.")
            return None
        return target

    def _name(self, number: int, data: dict, target: Pile | None, errors: dict) -> None:
        if "station" not in data or not data["name"] or "name" in errors:
            return
        place = (data["station"].pk, data["name"])
        holder = self.names_in_db.get(place)
        if place in self.seen_names:
            errors["name"] = _("Row %(row)s has a pile of this name at this station too.") % {
                "row": self.seen_names[place]
            }
        elif holder is not None and (target is None or holder != target.pk):
            errors["name"] = _("This station already has a pile with this name.")
        self.seen_names[place] = number


def _connector_types(values: dict, errors: dict) -> list[str]:
    """The row's connector types, one per gun, checked against its number of guns."""
    gun_count = None
    try:
        gun_count = cell_number(values.get("gun_count"), whole=True)
        if not 1 <= gun_count <= MAX_GUNS:
            raise ValueError
    except ValueError:
        errors["gun_count"] = _("Enter a whole number from 1 to %(max)s.") % {"max": MAX_GUNS}
        gun_count = None
    text = cell_text(values.get("connector_types"))
    try:
        types = [cell_choice(part, ConnectorType) for part in re.split(r"[,;\n]", text) if part.strip()]
    except ValueError:
        errors["connector_types"] = choice_message(ConnectorType)
        return []
    if not types:
        errors["connector_types"] = _("Enter one connector type per gun.")
    elif gun_count is not None and len(types) != gun_count:
        errors["connector_types"] = _(
            "%(types)s connector type(s) for %(guns)s gun(s): give one per gun, separated by commas."
        ) % {"types": len(types), "guns": gun_count}
    return types
