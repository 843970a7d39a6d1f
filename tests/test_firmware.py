"""Charging pile upgrade: firmware packages, upgrades that follow each pile's reports, the
signed download links, the pages, and a real pile over the gateway downloading and installing."""

import asyncio
import hashlib
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from ocpp.v16 import call
from ocpp.v16.enums import ChargePointStatus

from accounts.choices import Role
from audit.choices import AuditAction
from audit.models import AuditEntry
from firmware.choices import UpgradeStatus
from firmware.downloads import SALT, download_url
from firmware.models import FirmwarePackage, FirmwareUpgrade, UpgradeTarget
from firmware.services import package_delete, package_upload, upgrade_cancel, upgrade_start, upgrades_check
from gateway.choices import CommandAction, CommandStatus
from gateway.models import Command
from gateway.services import command_answer_record
from gateway.simulator import Behaviour, SimulatedPile
from orders.choices import OrderStatus
from piles.choices import GunStatus
from piles.models import Pile
from piles.services import StatusReport, gun_status_reports, pile_boot, pile_transfer_status_set

from .factories import (
    ChargingOrderFactory,
    FirmwarePackageFactory,
    GunFactory,
    PileFactory,
    StationFactory,
    UpgradeTargetFactory,
    UserFactory,
)
from .ocpp_support import db, ocpp_pile, raw_connection, run_async, simulated, wait_until
from .viewtests import ModelViewTests

BASE_URL = "https://ops.example.com"
IMAGE = b"XB-11 firmware image 2.0.1\n" * 100


@pytest.fixture(autouse=True)
def firmware_settings(settings, tmp_path):
    """Uploaded files go to a folder of the test's own; links name a public address."""
    settings.MEDIA_ROOT = tmp_path
    settings.FIRMWARE_DOWNLOAD_BASE_URL = BASE_URL
    return settings


def image(content: bytes = IMAGE, name: str = "xb11-2.0.1.bin") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def upload(operator, user=None, version="2.0.1", content=IMAGE, **fields):
    fields = {"manufacturer": "XingBang", "model": "XB-11", **fields}
    return package_upload(user=user, operator=operator, file=image(content), version=version, **fields)


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def pile_at(station, *, connected=True, firmware_version="1.0.0", **fields):
    """A pile of the package's model with two idle guns."""
    pile = PileFactory(station=station, connected=connected, firmware_version=firmware_version, **fields)
    for number in (1, 2):
        GunFactory(pile=pile, connector_id=number)
    return pile


@pytest.fixture
def station(operator):
    return StationFactory(area__operator=operator)


def target_of(pile) -> UpgradeTarget:
    return UpgradeTarget.objects.get(pile=pile)


# Packages.


@pytest.mark.django_db
def test_an_upload_keeps_the_file_its_checksum_and_size_and_is_audited(operator, admin_user):
    package = upload(operator, user=admin_user)

    assert package.checksum == hashlib.sha256(IMAGE).hexdigest()
    assert package.size == len(IMAGE)
    assert package.file_name == "xb11-2.0.1.bin"
    assert package.uploaded_by == admin_user
    with package.file.open("rb") as stored:
        assert stored.read() == IMAGE
    entry = AuditEntry.objects.get(object_id=package.pk, content_type__model="firmwarepackage")
    assert entry.action == AuditAction.CREATE
    assert entry.changes["Version"] == [None, "2.0.1"]


@pytest.mark.django_db
def test_a_package_is_named_as_the_operators_piles_of_its_model_spell_it(operator, station):
    pile_at(station, manufacturer="XingBang", model="XB-11")
    package = upload(operator, manufacturer=" xingbang", model="xb-11 ")
    assert (package.manufacturer, package.model) == ("XingBang", "XB-11")
    unknown = upload(operator, manufacturer="newcomer", model="nc-1")
    assert (unknown.manufacturer, unknown.model) == ("newcomer", "nc-1"), "no pile to follow: kept as typed"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("empty", "The file is empty."),
        ("too_large", "a firmware package may be at most 2.0\xa0KB"),
        ("duplicate", "Version 2.0.1 of the xingbang xb-11 firmware is already uploaded."),
    ],
)
@pytest.mark.django_db
def test_a_refused_upload_says_why_and_writes_nothing(operator, admin_user, firmware_settings, tmp_path, case, message):
    upload(operator, user=admin_user)  # the duplicate's original
    firmware_settings.FIRMWARE_MAX_BYTES = 2048
    before = (FirmwarePackage.objects.count(), AuditEntry.objects.count(), stored_files(tmp_path))
    content = {"empty": b"", "too_large": b"x" * 2049, "duplicate": b"another build"}[case]

    with pytest.raises(ValidationError) as refused:
        # The same version with other capitals is the same firmware.
        upload(operator, user=admin_user, content=content, manufacturer="xingbang", model="xb-11")

    assert message in " ".join(refused.value.messages)
    assert (FirmwarePackage.objects.count(), AuditEntry.objects.count(), stored_files(tmp_path)) == before


@pytest.mark.django_db
def test_another_operator_may_upload_the_same_version(operator, other_operator):
    upload(operator)
    assert upload(other_operator).operator == other_operator


@pytest.mark.django_db
def test_a_package_that_was_sent_stays_and_an_unused_one_goes_with_its_file(
    operator, admin_user, station, tmp_path, django_capture_on_commit_callbacks
):
    used, unused = upload(operator), upload(operator, version="2.0.2")
    unused_pk = unused.pk
    upgrade_start(user=admin_user, package=used, piles=[pile_at(station)])

    with pytest.raises(ValidationError, match=r"1 upgrade\(s\) sent it"):
        package_delete(user=admin_user, package=used)
    with django_capture_on_commit_callbacks(execute=True):
        package_delete(user=admin_user, package=unused)

    assert list(FirmwarePackage.objects.values_list("pk", flat=True)) == [used.pk]
    assert stored_files(tmp_path) == [tmp_path / used.file.name]
    assert AuditEntry.objects.filter(object_id=unused_pk, action=AuditAction.DELETE).exists()


# Starting upgrades.


@pytest.mark.django_db
def test_starting_sends_update_firmware_to_connected_idle_piles_and_holds_the_offline_ones(
    operator, admin_user, station
):
    package = upload(operator)
    online, offline = pile_at(station, name="North 1"), pile_at(station, name="North 2", connected=False)

    upgrade = upgrade_start(user=admin_user, package=package, piles=[online, offline], retries=3)

    sent, held = target_of(online), target_of(offline)
    assert (sent.status, sent.previous_version, sent.sent_at is not None) == (UpgradeStatus.SENT, "1.0.0", True)
    command = Command.objects.get()
    assert (command.pile, command.action, command.created_by) == (online, CommandAction.UPDATE_FIRMWARE, admin_user)
    assert sent.command == command
    assert command.payload["location"].startswith(f"{BASE_URL}/firmware/download/")
    assert command.payload["location"].endswith("/xb11-2.0.1.bin")
    assert command.payload["retries"] == 3
    assert abs(datetime.fromisoformat(command.payload["retrieve_date"]) - timezone.now()) < timedelta(minutes=1)
    assert held.status == UpgradeStatus.PENDING and "offline" in held.reason
    entry = AuditEntry.objects.get(object_id=upgrade.pk, content_type__model="firmwareupgrade")
    assert entry.action == AuditAction.CREATE
    assert entry.changes["Piles"] == [None, "North 1, North 2"]


@pytest.mark.django_db
def test_a_station_upgrade_takes_the_piles_of_the_packages_model_that_need_it(operator, admin_user, station):
    package = upload(operator)
    wanted = [pile_at(station), pile_at(station, model="xb-11")]  # capitals do not matter
    pile_at(station, model="XB-22")
    pile_at(station, firmware_version="2.0.1")
    pile_at(StationFactory(area=station.area))  # another station

    upgrade = upgrade_start(user=admin_user, package=package, station=station)

    assert {target.pile for target in upgrade.targets.all()} == set(wanted)


@pytest.mark.django_db
def test_chosen_piles_that_cannot_take_the_package_refuse_the_upgrade_each_with_its_reason(
    operator, other_operator, admin_user, station
):
    package = upload(operator)
    busy = pile_at(station, name="Busy")
    upgrade_start(user=admin_user, package=package, piles=[busy])
    chosen = [
        pile_at(station, name="Fine"),
        pile_at(station, name="Other model", model="XB-22"),
        pile_at(station, name="Done", firmware_version="2.0.1"),
        busy,
        pile_at(StationFactory(area__operator=other_operator), name="Foreign"),
    ]
    upgrades = FirmwareUpgrade.objects.count()

    with pytest.raises(ValidationError) as refused:
        upgrade_start(user=admin_user, package=package, piles=chosen)

    assert refused.value.message_dict["piles"] == [
        "Pile “Other model” is a XingBang XB-22; this firmware is for the XingBang XB-11.",
        "Pile “Done” already runs firmware 2.0.1.",
        f"Pile “Busy” is already being upgraded (upgrade #{target_of(busy).upgrade_id}).",
        "Pile “Foreign” belongs to another operator.",
    ]
    assert FirmwareUpgrade.objects.count() == upgrades
    assert not UpgradeTarget.objects.filter(pile__name="Fine").exists()


@pytest.mark.django_db
def test_a_start_without_piles_another_operators_station_or_a_past_time_is_refused(
    operator, other_operator, admin_user, station
):
    package = upload(operator)
    pile_at(station, model="XB-22")
    cases = [
        ({}, "Choose the piles to upgrade"),
        ({"station": StationFactory(area__operator=other_operator)}, "belongs to another operator"),
        ({"station": station}, "has no pile of the XingBang XB-11 that needs firmware 2.0.1"),
        ({"station": station, "retrieve_at": timezone.now() - timedelta(hours=1)}, "The download time is in the past."),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationError) as refused:
            upgrade_start(user=admin_user, package=package, **kwargs)
        assert message in " ".join(refused.value.messages), kwargs
    assert not FirmwareUpgrade.objects.exists()


@pytest.mark.django_db
def test_without_a_download_address_no_upgrade_starts(operator, admin_user, station, firmware_settings):
    firmware_settings.FIRMWARE_DOWNLOAD_BASE_URL = ""
    firmware_settings.DEBUG = False
    with pytest.raises(ValidationError, match="FIRMWARE_DOWNLOAD_BASE_URL is not set"):
        upgrade_start(user=admin_user, package=upload(operator), piles=[pile_at(station)])
    assert not FirmwareUpgrade.objects.exists()


# A pile in use waits; it is sent the firmware once idle.


def status_report(pile, number, status):
    return StatusReport(pile, number, status, "NoError", timezone.now())


@pytest.mark.django_db
def test_a_charging_pile_waits_until_its_car_leaves_and_is_sent_then(operator, admin_user, station):
    pile = pile_at(station)
    gun = pile.guns.get(connector_id=1)
    gun.status = GunStatus.CHARGING
    gun.save()
    order = ChargingOrderFactory(gun=gun, status=OrderStatus.CHARGING, stopped_at=None)

    upgrade_start(user=admin_user, package=upload(operator), piles=[pile])
    assert (target_of(pile).status, target_of(pile).reason) == (UpgradeStatus.WAITING_IDLE, "Gun 1: Charging.")

    # The car stops; the order is closed, while the gun is still in use.
    order.status = OrderStatus.COMPLETED
    order.save()
    gun_status_reports(items=[status_report(pile, 1, GunStatus.FINISHING)])
    assert target_of(pile).status == UpgradeStatus.WAITING_IDLE
    assert not Command.objects.exists()

    gun_status_reports(items=[status_report(pile, 1, GunStatus.AVAILABLE)])
    target = target_of(pile)
    assert (target.status, target.reason) == (UpgradeStatus.SENT, "")
    assert Command.objects.get().action == CommandAction.UPDATE_FIRMWARE


@pytest.mark.django_db
def test_an_order_in_progress_keeps_the_pile_waiting_when_its_gun_reads_available(operator, admin_user, station):
    pile = pile_at(station)
    ChargingOrderFactory(gun=pile.guns.get(connector_id=2), status=OrderStatus.CHARGING, stopped_at=None)

    upgrade_start(user=admin_user, package=upload(operator), piles=[pile])
    gun_status_reports(items=[status_report(pile, 2, GunStatus.AVAILABLE)])

    target = target_of(pile)
    assert (target.status, target.reason) == (UpgradeStatus.WAITING_IDLE, "Gun 2 has a charging order in progress.")


@pytest.mark.django_db
def test_the_periodic_check_sends_to_piles_that_connected_and_are_idle(operator, admin_user, station):
    pile = pile_at(station, connected=False)
    upgrade_start(user=admin_user, package=upload(operator), piles=[pile])
    assert upgrades_check() == 0 and target_of(pile).status == UpgradeStatus.PENDING

    Pile.objects.filter(pk=pile.pk).update(connected=True)

    assert upgrades_check() == 1
    assert target_of(pile).status == UpgradeStatus.SENT


# What the pile reports.


@pytest.fixture
def sent(operator, admin_user, station):
    """A pile that was sent firmware 2.0.1 (it runs 1.0.0)."""
    pile = pile_at(station)
    upgrade_start(user=admin_user, package=upload(operator), piles=[pile])
    assert target_of(pile).status == UpgradeStatus.SENT
    return pile


@pytest.mark.django_db
def test_firmware_status_reports_move_the_upgrade_and_the_new_version_at_boot_confirms_it(sent):
    for report, expected in [
        ("Downloading", UpgradeStatus.DOWNLOADING),
        ("Idle", UpgradeStatus.DOWNLOADING),  # the answer to a trigger tells nothing new
        ("Downloaded", UpgradeStatus.DOWNLOADED),
        ("Installing", UpgradeStatus.INSTALLING),
        ("Installed", UpgradeStatus.INSTALLED),
    ]:
        pile_transfer_status_set(pile=sent, firmware_status=report)
        assert target_of(sent).status == expected, report

    pile_boot(pile=sent, vendor="XingBang", model="XB-11", at=timezone.now(), firmware_version="2.0.1")

    assert target_of(sent).status == UpgradeStatus.CONFIRMED
    sent.refresh_from_db()
    assert (sent.firmware_version, sent.firmware_status) == ("2.0.1", "Installed")


@pytest.mark.django_db
def test_a_restart_with_another_version_after_installing_fails_the_upgrade_with_the_reason(sent):
    pile_boot(pile=sent, vendor="XingBang", model="XB-11", at=timezone.now(), firmware_version="1.0.0")
    assert target_of(sent).status == UpgradeStatus.SENT  # a power cut before installing says nothing yet

    pile_transfer_status_set(pile=sent, firmware_status="Installing")
    pile_boot(pile=sent, vendor="XingBang", model="XB-11", at=timezone.now(), firmware_version="1.0.0")

    target = target_of(sent)
    assert target.status == UpgradeStatus.FAILED
    assert target.reason == "The pile restarted with firmware 1.0.0 instead of 2.0.1."


@pytest.mark.parametrize(
    ("report", "reason"),
    [
        ("DownloadFailed", "The pile could not download the firmware."),
        ("InstallationFailed", "The pile could not install the firmware."),
    ],
)
@pytest.mark.django_db
def test_a_failure_the_pile_reports_fails_the_upgrade(sent, report, reason):
    pile_transfer_status_set(pile=sent, firmware_status=report)
    assert (target_of(sent).status, target_of(sent).reason) == (UpgradeStatus.FAILED, reason)
    # A finished upgrade takes no more reports.
    pile_transfer_status_set(pile=sent, firmware_status="Installed")
    assert target_of(sent).status == UpgradeStatus.FAILED


@pytest.mark.django_db
def test_a_pile_that_reports_nothing_fails_after_the_timeout(sent, firmware_settings):
    firmware_settings.FIRMWARE_REPORT_TIMEOUT_SECONDS = 3600
    pile_transfer_status_set(pile=sent, firmware_status="Downloading")
    last = target_of(sent).status_changed_at

    assert upgrades_check(now=last + timedelta(minutes=59)) == 0
    assert target_of(sent).status == UpgradeStatus.DOWNLOADING
    assert upgrades_check(now=last + timedelta(minutes=61)) == 1

    target = target_of(sent)
    assert target.status == UpgradeStatus.FAILED
    assert target.reason == "The pile reported nothing for 60 minutes after “Downloading”."


@pytest.mark.django_db
def test_the_timeout_counts_from_the_download_time_the_pile_was_given(operator, admin_user, station):
    pile = pile_at(station)
    tonight = timezone.now() + timedelta(hours=8)
    upgrade_start(user=admin_user, package=upload(operator), piles=[pile], retrieve_at=tonight)
    command = Command.objects.get()
    assert datetime.fromisoformat(command.payload["retrieve_date"]) == tonight

    assert upgrades_check(now=tonight + timedelta(minutes=30)) == 0
    assert upgrades_check(now=tonight + timedelta(minutes=61)) == 1
    assert target_of(pile).status == UpgradeStatus.FAILED


@pytest.mark.django_db
def test_a_request_that_never_reached_the_pile_waits_again_and_one_it_refused_fails(operator, admin_user, station):
    package = upload(operator)
    lost, refused = pile_at(station), pile_at(station)
    upgrade_start(user=admin_user, package=package, piles=[lost, refused])
    # The pile went away before the gateway sent the first; the second was answered with an error.
    Pile.objects.filter(pk=lost.pk).update(connected=False)
    command_answer_record(command=target_of(lost).command, status=CommandStatus.FAILED, error="The pile is offline.")
    Command.objects.filter(pk=target_of(refused).command_id).update(sent_at=timezone.now())
    command_answer_record(command=target_of(refused).command, status=CommandStatus.FAILED, error="NotSupported: no")

    assert upgrades_check() == 2

    assert (target_of(lost).status, target_of(lost).reason) == (UpgradeStatus.PENDING, "The pile is offline.")
    failed = target_of(refused)
    assert (failed.status, failed.reason) == (
        UpgradeStatus.FAILED,
        "The pile did not take the request: NotSupported: no",
    )


@pytest.mark.django_db
def test_cancelling_stops_the_piles_not_sent_yet_and_leaves_the_others(operator, admin_user, station):
    piles = [pile_at(station), pile_at(station, connected=False)]
    upgrade = upgrade_start(user=admin_user, package=upload(operator), piles=piles)

    assert upgrade_cancel(user=admin_user, upgrade=upgrade) == 1

    assert target_of(piles[0]).status == UpgradeStatus.SENT
    assert (target_of(piles[1]).status, target_of(piles[1]).reason) == (
        UpgradeStatus.FAILED,
        "Cancelled before it was sent.",
    )
    upgrade.refresh_from_db()
    assert upgrade.cancelled_by == admin_user and upgrade.cancelled_at is not None
    # Connecting later sends nothing, and there is nothing left to cancel.
    Pile.objects.filter(pk=piles[1].pk).update(connected=True)
    upgrades_check()
    assert Command.objects.count() == 1
    with pytest.raises(ValidationError, match="cannot be called back"):
        upgrade_cancel(user=admin_user, upgrade=upgrade)


# The signed download link.


def link_path(url: str) -> str:
    assert url.startswith(BASE_URL)
    return url[len(BASE_URL) :]


@pytest.mark.django_db
def test_a_signed_link_serves_the_file_to_a_pile_without_a_session(operator):
    package = upload(operator)
    url = download_url(package, until=timezone.now() + timedelta(hours=1))

    response = Client().get(link_path(url))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == IMAGE
    assert response["Content-Length"] == str(len(IMAGE))
    assert response["ETag"] == f'"{hashlib.sha256(IMAGE).hexdigest()}"'
    assert response["X-Firmware-Version"] == "2.0.1"
    assert 'filename="xb11-2.0.1.bin"' in response["Content-Disposition"]


@pytest.mark.django_db
def test_a_changed_expired_or_foreign_link_serves_nothing(operator, admin_user, django_capture_on_commit_callbacks):
    package, other = upload(operator), upload(operator, version="9.9.9", content=b"other firmware")
    good = link_path(download_url(package, until=timezone.now() + timedelta(hours=1)))
    token = good.split("/")[3]
    payload, signature = token.rsplit(":", 1)
    far = int((timezone.now() + timedelta(days=3650)).timestamp())
    other_payload = signing.dumps({"package": other.pk, "until": far}, salt=SALT, compress=True).rsplit(":", 1)[0]
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    refused = {
        "signature changed": good.replace(token, f"{payload}:{flipped}"),
        "another package": good.replace(token, f"{other_payload}:{signature}"),
        "signed for something else": good.replace(
            token, signing.dumps({"package": other.pk, "until": far}, salt="another.purpose")
        ),
        "expired": link_path(download_url(package, until=timezone.now() - timedelta(seconds=1))),
        "no token": "/firmware/download/nothing/xb11-2.0.1.bin",
    }
    client = Client()

    for case, path in refused.items():
        response = client.get(path)
        assert (response.status_code, response.streaming) == (404, False), case
    assert client.get(good).status_code == 200
    # A package deleted since: its links find nothing either.
    with django_capture_on_commit_callbacks(execute=True):
        package_delete(user=admin_user, package=package)
    assert client.get(good).status_code == 404


# Pages.


class TestFirmwarePackageViews(ModelViewTests):
    model = FirmwarePackage
    url_prefix = "firmware:firmwarepackage"
    supports_edit = False

    def make(self, operator):
        return FirmwarePackageFactory(operator=operator)

    def valid_data(self, operator):
        return {"file": image(), "manufacturer": "XingBang", "model": "XB-11", "version": "3.0.0", "notes": ""}

    def invalid_data(self, operator):
        FirmwarePackageFactory(operator=operator, version="3.0.0")
        return self.valid_data(operator), "Version 3.0.0 of the XingBang XB-11 firmware is already uploaded."

    def filter_case(self, operator):
        wanted = FirmwarePackageFactory(operator=operator, version="3.1.4")
        other = FirmwarePackageFactory(operator=operator, version="4.0.0")
        return {"q": "3.1"}, wanted, other


class TestFirmwareUpgradeViews(ModelViewTests):
    model = FirmwareUpgrade
    url_prefix = "firmware:firmwareupgrade"
    supports_edit = False
    supports_delete = False

    def make(self, operator):
        pile = PileFactory(station__area__operator=operator)
        return UpgradeTargetFactory(upgrade__package__operator=operator, pile=pile).upgrade

    def valid_data(self, operator):
        package = FirmwarePackageFactory(operator=operator)
        return {"package": package.pk, "piles": [pile_at(StationFactory(area__operator=operator)).pk]}

    def invalid_data(self, operator):
        return {"package": FirmwarePackageFactory(operator=operator).pk}, "Choose the piles to upgrade"

    def filter_case(self, operator):
        wanted, other = self.make(operator), self.make(operator)
        return {"package": wanted.package_id}, wanted, other


@pytest.mark.django_db
def test_the_upload_page_stores_the_file_and_shows_the_package(client, operator, admin_user, tmp_path):
    client.force_login(admin_user)
    page = client.get(reverse("firmware:firmwarepackage_add")).content.decode()
    assert 'enctype="multipart/form-data"' in page

    response = client.post(
        reverse("firmware:firmwarepackage_add"),
        {"file": image(), "manufacturer": "XingBang", "model": "XB-11", "version": "2.0.1"},
        follow=True,
    )

    package = FirmwarePackage.objects.get()
    assert (package.operator, package.uploaded_by, package.size) == (operator, admin_user, len(IMAGE))
    assert stored_files(tmp_path) == [tmp_path / package.file.name]
    content = response.content.decode()
    assert hashlib.sha256(IMAGE).hexdigest() in content and "Start upgrade" in content


@pytest.mark.django_db
def test_an_empty_upload_is_refused_on_the_page(client, admin_user, tmp_path):
    client.force_login(admin_user)
    response = client.post(
        reverse("firmware:firmwarepackage_add"),
        {"file": image(b""), "manufacturer": "XingBang", "model": "XB-11", "version": "2.0.1"},
    )
    assert response.status_code == 200 and "The submitted file is empty." in response.content.decode()
    assert not FirmwarePackage.objects.exists() and stored_files(tmp_path) == []


@pytest.mark.django_db
def test_the_start_form_names_the_refused_piles_and_reads_times_in_the_operators_zone(
    client, operator, admin_user, station
):
    package = upload(operator)
    good, other = pile_at(station, name="Good"), pile_at(station, name="Wrong", model="XB-22")
    client.force_login(admin_user)
    url = reverse("firmware:firmwareupgrade_add")
    assert client.get(url, {"package": package.pk}).context["form"]["package"].value() == str(package.pk)

    refused = client.post(url, {"package": package.pk, "piles": [good.pk, other.pk]})
    assert "Pile “Wrong” is a XingBang XB-22" in refused.content.decode()
    assert not FirmwareUpgrade.objects.exists()

    response = client.post(url, {"package": package.pk, "piles": [good.pk], "retrieve_at": "2030-01-15T02:00"})
    upgrade = FirmwareUpgrade.objects.get()
    assert response["Location"] == upgrade.get_absolute_url()
    # The operator keeps Los Angeles time: 02:00 there is 10:00 UTC in January.
    assert upgrade.retrieve_at == datetime(2030, 1, 15, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_upgrade_page_counts_piles_by_status_and_refreshes_while_any_is_unfinished(
    client, operator, admin_user, station
):
    piles = [pile_at(station), pile_at(station), pile_at(station, connected=False)]
    upgrade = upgrade_start(user=admin_user, package=upload(operator), piles=piles)
    client.force_login(admin_user)

    response = client.get(upgrade.get_absolute_url())
    counts = {entry["status"]: entry["count"] for entry in response.context["status_counts"]}
    assert counts == {UpgradeStatus.PENDING: 1, UpgradeStatus.SENT: 2}
    content = response.content.decode()
    assert 'id="upgrade-progress" data-refresh-while-waiting' in content
    assert "refresh_section.js" in content and "Cancel the piles not sent yet" in content
    assert {row.record.pile for row in response.context["table"].rows} == set(piles)

    for pile in piles[:2]:
        pile_boot(pile=pile, vendor="XingBang", model="XB-11", at=timezone.now(), firmware_version="2.0.1")
    client.post(reverse("firmware:firmwareupgrade_cancel", args=[upgrade.pk]))

    response = client.get(upgrade.get_absolute_url())
    counts = {entry["status"]: entry["count"] for entry in response.context["status_counts"]}
    assert counts == {UpgradeStatus.CONFIRMED: 2, UpgradeStatus.FAILED: 1}
    content = response.content.decode()
    assert "data-refresh-while-waiting" not in content and "Cancel the piles not sent yet" not in content


@pytest.mark.django_db
def test_only_operator_admins_cancel_an_upgrade(client, operator, admin_user, station):
    upgrade = upgrade_start(user=admin_user, package=upload(operator), piles=[pile_at(station, connected=False)])
    for role in (Role.ANALYST, Role.TECHNICIAN):
        client.force_login(UserFactory(operator=operator, role=role))
        assert client.post(reverse("firmware:firmwareupgrade_cancel", args=[upgrade.pk])).status_code == 403
    assert not upgrade.targets.filter(status=UpgradeStatus.FAILED).exists()


@pytest.mark.django_db
def test_the_pile_page_shows_its_upgrade(client, operator, admin_user, station):
    pile = pile_at(station)
    upgrade = upgrade_start(user=admin_user, package=upload(operator), piles=[pile])
    client.force_login(UserFactory(operator=operator, role=Role.TECHNICIAN))

    content = client.get(pile.get_absolute_url()).content.decode()

    assert f'<a href="{upgrade.get_absolute_url()}">upgrade to 2.0.1</a>' in content
    assert "Sent to the pile" in content


@pytest.mark.django_db
def test_update_firmware_is_not_a_remote_operation_of_the_pile_page(client, operator, admin_user, station):
    pile = pile_at(station)
    client.force_login(admin_user)
    assert "Update firmware" not in client.get(pile.get_absolute_url()).content.decode()

    response = client.post(
        reverse("piles:pile_command", args=[pile.pk]),
        {"action": CommandAction.UPDATE_FIRMWARE, "location": "http://evil.example/x.bin"},
        follow=True,
    )

    assert any("not one of the available choices" in str(message) for message in response.context["messages"])
    assert not Command.objects.exists()


# A real pile over the OCPP gateway, downloading from the platform.


class UpgradablePile(SimulatedPile):
    """A pile that takes UpdateFirmware and leaves each step to the test."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.update_requests: asyncio.Queue = asyncio.Queue()

    async def firmware_update(self, location, retrieve_date):
        await self.update_requests.put((location, retrieve_date))


def fetch(url: str) -> tuple[bytes, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), dict(response.headers)


def test_a_pile_in_use_is_sent_the_firmware_once_idle_downloads_it_and_confirms_with_its_new_version(
    ocpp_gateway, live_server, firmware_settings
):
    firmware_settings.FIRMWARE_DOWNLOAD_BASE_URL = live_server.url
    pile = ocpp_pile(firmware_version="1.0.0")
    package = upload(pile.station.area.operator)

    def status() -> str:
        return UpgradeTarget.objects.get(pile=pile).status

    async def scenario():
        connection = await raw_connection(ocpp_gateway.url, pile.charge_point_id)
        client = UpgradablePile(pile.charge_point_id, connection)
        reader = asyncio.ensure_future(client.start())
        try:
            await client.boot()
            await client.status(client.guns[1], ChargePointStatus.charging)
            await db(upgrade_start, user=None, package=package, piles=[pile])
            waiting = await db(status)
            # Nothing is sent while the car charges; the gun's return to Available releases it.
            early = client.update_requests.empty()
            await client.status(client.guns[1], ChargePointStatus.available)
            location, retrieve_date = await asyncio.wait_for(client.update_requests.get(), 15)
            body, headers = await asyncio.to_thread(fetch, location)
            steps = []
            for report in ("Downloading", "Downloaded", "Installing", "Installed"):
                await client.call(call.FirmwareStatusNotification(status=report))
                steps.append(await db(status))
            client.firmware_version = headers["X-Firmware-Version"]
            await client.boot()
            steps.append(await db(status))
            return waiting, early, location, retrieve_date, body, headers, steps
        finally:
            await connection.close()
            reader.cancel()

    waiting, early, location, retrieve_date, body, headers, steps = run_async(scenario())

    assert waiting == UpgradeStatus.WAITING_IDLE and early
    assert location.startswith(f"{live_server.url}/firmware/download/")
    assert datetime.fromisoformat(retrieve_date) <= timezone.now()
    assert body == IMAGE and headers["ETag"] == f'"{package.checksum}"'
    assert steps == [
        UpgradeStatus.DOWNLOADING,
        UpgradeStatus.DOWNLOADED,
        UpgradeStatus.INSTALLING,
        UpgradeStatus.INSTALLED,
        UpgradeStatus.CONFIRMED,
    ]
    assert Command.objects.get(action=CommandAction.UPDATE_FIRMWARE).status == CommandStatus.ACCEPTED
    pile.refresh_from_db()
    assert pile.firmware_version == "2.0.1"


def test_the_simulator_downloads_installs_and_restarts_with_the_new_firmware(
    ocpp_gateway, live_server, firmware_settings
):
    firmware_settings.FIRMWARE_DOWNLOAD_BASE_URL = live_server.url
    pile = ocpp_pile(firmware_version="1.0.0")
    package = upload(pile.station.area.operator)

    async def scenario():
        client, connection, reader = await simulated(
            ocpp_gateway.url, pile, behaviour=Behaviour(firmware_step_seconds=0.05)
        )
        try:
            await client.boot()
            await db(upgrade_start, user=None, package=package, piles=[pile])
            done = await db(
                wait_until, lambda: UpgradeTarget.objects.get(pile=pile).status == UpgradeStatus.CONFIRMED, 20
            )
            return done, client.firmware_version
        finally:
            await connection.close()
            reader.cancel()

    done, version = run_async(scenario())

    assert done and version == "2.0.1"
    pile.refresh_from_db()
    assert (pile.firmware_version, pile.firmware_status) == ("2.0.1", "Installed")
