"""The interface speaks English and Simplified Chinese: every catalogue entry is translated,
the compiled catalogues are those of the .po files, translations keep their placeholders, the
main pages read in Chinese, and the language switch works before and after signing in."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from accounts.choices import Currency
from chargeops.imports import cell_choice
from chargeops.templatetags.chargeops import money
from piles.choices import ConnectorType, UsageState

from .factories import (
    AreaFactory,
    ChargingOrderFactory,
    GunFactory,
    PileFactory,
    StationFactory,
    WorkOrderFactory,
)

CATALOGUES = sorted(Path(settings.LOCALE_PATHS[0]).glob("*/LC_MESSAGES/*.po"))
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# %(name)s, %(name)02d, %s, {name}; a doubled %% is a literal percent sign.
PLACEHOLDER = re.compile(r"%%|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]|%[sdif]|\{\w*\}")
TAG = re.compile(r"</?([a-z]+)\b[^>]*>")


@pytest.fixture(autouse=True)
def english_afterwards():
    """A request in Chinese leaves Chinese active in this thread; the tests after these expect
    English, as a request without a language choice gets."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def entry_key(entry):
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def entry_text(entry):
    return tuple(entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)) or (entry.msgstr,)


def placeholders(text: str) -> list[str]:
    return sorted(match for match in PLACEHOLDER.findall(text) if match != "%%")


def test_there_is_a_chinese_catalogue():
    assert [path.parts[-3] for path in CATALOGUES] == ["zh_Hans"]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_entry_is_translated_and_none_is_fuzzy(path):
    catalogue = polib.pofile(str(path))
    assert not catalogue.metadata_is_fuzzy
    assert catalogue.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    untranslated = [entry.msgid for entry in catalogue if not all(entry_text(entry))]
    fuzzy = [entry.msgid for entry in catalogue if "fuzzy" in entry.flags]
    assert (untranslated, fuzzy) == ([], [])
    assert len(catalogue) > 900


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_compiled_catalogue_is_that_of_the_po_file(path):
    """A .po edited without `manage.py compilemessages` leaves a stale .mo, which is what a
    machine without GNU gettext serves."""
    source = {entry_key(entry): entry_text(entry) for entry in polib.pofile(str(path))}
    compiled = polib.mofile(str(path.with_suffix(".mo")))
    assert {entry_key(entry): entry_text(entry) for entry in compiled} == source
    assert compiled.metadata["Plural-Forms"] == "nplurals=1; plural=0;"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_translations_keep_placeholders_and_markup(path):
    wrong = []
    for entry in polib.pofile(str(path)):
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        expected = placeholders(entry.msgid_plural or entry.msgid)
        if entry.msgid_plural:
            # A plural's single Chinese form stands for the plural English one.
            assert set(placeholders(entry.msgid)) <= set(expected), entry.msgid
        for text in entry_text(entry):
            if placeholders(text) != expected:
                wrong.append((entry.msgid, text))
            if sorted(TAG.findall(text)) != sorted(TAG.findall(sources[-1])):
                wrong.append((entry.msgid, text))
    assert wrong == []


@pytest.fixture
def network_in_chinese(client, operator, admin_user):
    """A small network with an order and a work order, and `client` signed in as its operator
    admin with Chinese chosen."""
    station = StationFactory(area=AreaFactory(operator=operator), name="Hongqiao Hub")
    pile = PileFactory(station=station, name="Pile 01")
    gun = GunFactory(pile=pile)
    ChargingOrderFactory(gun=gun)
    WorkOrderFactory(pile=pile)
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


PAGES = {
    "home": ["Operation data dashboard", "Stations and piles", "Charging stations", "Electronic map"],
    "stations:station_list": ["Charging stations", "Address", "Query", "Export", "Actions"],
    "piles:pile_list": ["Charging piles", "Usage state", "Online status", "Batch import"],
    "orders:chargingorder_list": ["Charging orders", "Order number", "Payment method", "Fee"],
    "analytics:order_figures": ["Order statistics", "Month-on-month", "Year-on-year", "Granularity"],
    "analytics:month_on_month": ["Charging cycle comparison", "Comparison by station", "Orders before", "Export"],
    "maintenance:workorder_list": ["Fault repair work orders", "Faulty pile", "Maintenance person"],
    "piles:pile_import": ["Batch import of", "Download the template", "Check file", "Recent imports"],
}


@pytest.mark.parametrize("url_name", PAGES)
def test_pages_read_in_chinese(network_in_chinese, url_name):
    response = network_in_chinese.get(reverse(url_name))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="zh-hans">' in content
    assert len(CHINESE.findall(content)) > 50
    # Headings, labels, buttons and chart titles, as text or as an attribute's value.
    assert [english for english in PAGES[url_name] if re.search(rf'[>"]\s*{english}\b', content)] == []


def test_menu_and_page_of_an_english_user_stay_english(client, admin_user):
    client.force_login(admin_user)
    content = client.get(reverse("stations:station_list")).content.decode()
    assert '<html lang="en">' in content and "Charging stations" in content
    assert not CHINESE.search(content.replace("简体中文", ""))


def test_a_chinese_browser_gets_chinese_until_english_is_chosen(client, admin_user):
    client.force_login(admin_user)
    assert "运营数据看板" in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "/piles/?q=x"}, HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert response.status_code == 302 and response["Location"] == "/piles/?q=x"
    assert "Charging piles" in client.get("/piles/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()


def test_the_language_switch_returns_to_the_page_and_is_remembered(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("piles:pile_list"), {"online_status": "online"}).content.decode()
    # The switch in the top bar posts the page's own address with the CSRF token.
    switch = page.split('class="language-switch"')[1].split("</form>")[0]
    assert 'name="csrfmiddlewaretoken"' in switch
    assert 'name="next" value="/piles/?online_status=online"' in switch
    assert 'value="zh-hans"' in switch and "简体中文" in switch

    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/piles/?online_status=online"})
    assert response.status_code == 302 and response["Location"] == "/piles/?online_status=online"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "zh-hans" and cookie["max-age"] == settings.LANGUAGE_COOKIE_AGE
    assert "充电桩" in client.get("/piles/").content.decode()


def test_the_sign_in_page_switches_language_before_signing_in(client, db):
    login = reverse("accounts:login")
    assert 'value="zh-hans"' in client.get(login).content.decode()
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": login})
    assert response.status_code == 302 and response["Location"] == login
    content = client.get(login).content.decode()
    assert '<html lang="zh-hans">' in content and "登录" in content


def test_a_switch_to_another_site_stays_here(client, db):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "https://example.com/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_numbers_and_amounts_follow_the_language():
    """Chinese operations software groups thousands by three with commas, as English does
    (Django's own zh_Hans formats would print 12345678.5 ungrouped), and writes 元 after yuan."""
    with translation.override("zh-hans"):
        assert money(12345678.5, Currency.CNY) == "12,345,678.50 元"
        assert money(12.5, Currency.USD) == "12.50 美元"
    with translation.override("en"):
        assert money(12345678.5, Currency.CNY) == "12,345,678.50 CNY"
        assert money(None, Currency.CNY) == "—"


def test_statistics_in_chinese_group_thousands_and_name_the_currency(client, network, analyst):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get("/", {"start": "2026-01-01", "end": "2026-10-31"})
    content = response.content.decode()
    amount = next(card for card in response.context["figure_cards"] if card["figure"] == "amount")
    assert amount["value"] >= 1000
    assert f"{amount['value']:,.2f}" in content
    assert '<span class="figure-unit">美元</span>' in content


@pytest.mark.parametrize("path", ["/", "/analytics/faults/", "/orders/?started_after=2026-01-01"])
def test_day_boxes_in_chinese_hold_their_days_as_the_browser_reads_them(network_in_chinese, path):
    """`<input type="date">` takes only 2026-11-01; Chinese formats would write 2026/11/01, and
    the browser would show the box empty."""
    content = network_in_chinese.get(path).content.decode()
    days = re.findall(r'<input type="date"[^>]*value="([^"]*)"', content)
    assert days and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) for day in days), days


def test_an_import_cell_names_a_choice_in_either_language():
    """A template filled in in English is imported by someone using Chinese, and the other way."""
    with translation.override("zh-hans"):
        assert cell_choice("Disabled", UsageState) == cell_choice("停用", UsageState) == UsageState.DISABLED
        assert cell_choice("GB/T DC", ConnectorType) == ConnectorType.GBT_DC
    with translation.override("en"):
        assert cell_choice("国标直流 (GB/T)", ConnectorType) == ConnectorType.GBT_DC
        with pytest.raises(ValueError):
            cell_choice("直流电", UsageState)


def test_an_export_in_chinese_is_named_in_chinese(network_in_chinese):
    response = network_in_chinese.get(reverse("stations:station_list"), {"export": "xlsx"})
    assert response.status_code == 200
    # 充电站, spelled for the header: every browser reads it.
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''%E5%85%85%E7%94%B5%E7%AB%99-")
