"""The time-of-use fee computation, across period boundaries, midnight, schedule changes and DST."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from orders.services import order_fee_compute, tariff_create, tariff_schedule_set

from .factories import time_of_use_tariff

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def tariff(operator):
    return time_of_use_tariff(operator)  # valley 00:00–08:00, peak 08:00–20:00, flat 20:00–24:00


def fee(tariff, start, stop, energy, zone="Asia/Shanghai"):
    return order_fee_compute(
        tariff=tariff, started_at=start, stopped_at=stop, energy_kwh=Decimal(energy), time_zone=zone
    )


def test_session_inside_one_period_uses_its_prices(tariff):
    result = fee(tariff, datetime(2025, 3, 3, 9, tzinfo=SHANGHAI), datetime(2025, 3, 3, 10, tzinfo=SHANGHAI), "10")
    assert (result.electricity_fee, result.service_fee, result.amount) == (
        Decimal("10.00"),
        Decimal("5.00"),
        Decimal("15.00"),
    )


def test_session_across_a_boundary_is_split_by_time(tariff):
    # 07:00–09:00: half the time in the valley, half at peak.
    result = fee(tariff, datetime(2025, 3, 3, 7, tzinfo=SHANGHAI), datetime(2025, 3, 3, 9, tzinfo=SHANGHAI), "20")
    assert result.electricity_fee == Decimal("13.00")  # 10 × 0.30 + 10 × 1.00
    assert result.service_fee == Decimal("6.00")  # 10 × 0.10 + 10 × 0.50


def test_session_across_midnight_wraps_to_the_valley(tariff):
    # 23:00–01:00: one hour flat, one hour valley.
    result = fee(tariff, datetime(2025, 3, 3, 23, tzinfo=SHANGHAI), datetime(2025, 3, 4, 1, tzinfo=SHANGHAI), "8")
    assert result.electricity_fee == Decimal("3.60")  # 4 × 0.60 + 4 × 0.30
    assert result.service_fee == Decimal("1.20")


def test_session_spanning_three_periods(tariff):
    # 07:00–21:00: 1 h valley, 12 h peak, 1 h flat; 14 kWh spread evenly.
    result = fee(tariff, datetime(2025, 3, 3, 7, tzinfo=SHANGHAI), datetime(2025, 3, 3, 21, tzinfo=SHANGHAI), "14")
    assert result.electricity_fee == Decimal("12.90")  # 0.30 + 12.00 + 0.60
    assert result.service_fee == Decimal("6.30")  # 0.10 + 6.00 + 0.20


def test_boundaries_are_station_local_time(tariff):
    # 08:00 in Shanghai is 00:00 UTC: a session 23:30–00:30 UTC is 07:30–08:30 local.
    utc = ZoneInfo("UTC")
    result = fee(tariff, datetime(2025, 3, 3, 23, 30, tzinfo=utc), datetime(2025, 3, 4, 0, 30, tzinfo=utc), "2")
    assert result.electricity_fee == Decimal("1.30")


def test_a_newer_schedule_applies_from_its_date_and_old_sessions_keep_old_prices(tariff):
    tariff_schedule_set(
        user=None,
        tariff=tariff,
        effective_from=date(2025, 6, 1),
        periods=[{"starts_at": time(0), "electricity_price": Decimal("2.00"), "service_fee": Decimal("1.00")}],
    )
    old = fee(tariff, datetime(2025, 5, 31, 9, tzinfo=SHANGHAI), datetime(2025, 5, 31, 10, tzinfo=SHANGHAI), "1")
    new = fee(tariff, datetime(2025, 6, 1, 9, tzinfo=SHANGHAI), datetime(2025, 6, 1, 10, tzinfo=SHANGHAI), "1")
    assert old.amount == Decimal("1.50")
    assert new.amount == Decimal("3.00")


def test_session_that_started_under_the_old_schedule_keeps_it_past_the_change(tariff):
    tariff_schedule_set(
        user=None,
        tariff=tariff,
        effective_from=date(2025, 6, 1),
        periods=[{"starts_at": time(0), "electricity_price": Decimal("2.00"), "service_fee": Decimal("1.00")}],
    )
    # 22:00 May 31 → 02:00 June 1: priced by the May schedule (flat then valley).
    result = fee(tariff, datetime(2025, 5, 31, 22, tzinfo=SHANGHAI), datetime(2025, 6, 1, 2, tzinfo=SHANGHAI), "4")
    assert result.electricity_fee == Decimal("1.80")  # 2 × 0.60 + 2 × 0.30


def test_dst_day_is_priced_by_elapsed_time(operator):
    tariff = tariff_create(user=None, operator=operator, name="US")
    tariff_schedule_set(
        user=None,
        tariff=tariff,
        effective_from=date(2025, 1, 1),
        periods=[
            {"starts_at": time(0), "electricity_price": Decimal("0.20"), "service_fee": Decimal("0")},
            {"starts_at": time(4), "electricity_price": Decimal("0.50"), "service_fee": Decimal("0")},
        ],
    )
    # 9 March 2025: clocks jump 02:00 → 03:00 in Los Angeles. 00:00–05:00 local is 4 real hours:
    # 3 of them before 04:00 (off-peak), 1 after.
    start = datetime(2025, 3, 9, 0, tzinfo=LOS_ANGELES)
    stop = datetime(2025, 3, 9, 5, tzinfo=LOS_ANGELES)
    result = fee(tariff, start, stop, "4", zone="America/Los_Angeles")
    assert result.electricity_fee == Decimal("1.10")  # 3 × 0.20 + 1 × 0.50


def test_fees_round_half_up_to_the_cent(tariff):
    result = fee(tariff, datetime(2025, 3, 3, 9, tzinfo=SHANGHAI), datetime(2025, 3, 3, 10, tzinfo=SHANGHAI), "0.005")
    assert result.electricity_fee == Decimal("0.01")


def test_no_tariff_or_no_schedule_yet_is_free(tariff):
    before = fee(tariff, datetime(2024, 12, 31, 9, tzinfo=SHANGHAI), datetime(2024, 12, 31, 10, tzinfo=SHANGHAI), "5")
    assert before.amount == Decimal("0.00")
    start = datetime(2025, 3, 3, 9, tzinfo=SHANGHAI)
    assert fee(None, start, start, "5").amount == Decimal("0.00")


def test_zero_length_session_is_priced_at_its_start(tariff):
    moment = datetime(2025, 3, 3, 9, tzinfo=SHANGHAI)
    assert fee(tariff, moment, moment, "1").amount == Decimal("1.50")


def test_schedule_without_a_midnight_period_is_refused(tariff):
    with pytest.raises(ValidationError, match="00:00"):
        tariff_schedule_set(
            user=None,
            tariff=tariff,
            effective_from=date(2025, 9, 1),
            periods=[{"starts_at": time(6), "electricity_price": Decimal("1"), "service_fee": Decimal("0")}],
        )
    assert not tariff.periods.filter(effective_from=date(2025, 9, 1)).exists()


def test_negative_price_is_refused(tariff):
    with pytest.raises(ValidationError):
        tariff_schedule_set(
            user=None,
            tariff=tariff,
            effective_from=date(2025, 9, 1),
            periods=[{"starts_at": time(0), "electricity_price": Decimal("-1"), "service_fee": Decimal("0")}],
        )
    assert not tariff.periods.filter(effective_from=date(2025, 9, 1)).exists()


def two_period_tariff(operator, second_start, first_price="1", second_price="10"):
    tariff = tariff_create(user=None, operator=operator, name=f"Two periods {second_start}")
    tariff_schedule_set(
        user=None,
        tariff=tariff,
        effective_from=date(2025, 1, 1),
        periods=[
            {"starts_at": time(0), "electricity_price": Decimal(first_price), "service_fee": Decimal("0")},
            {"starts_at": second_start, "electricity_price": Decimal(second_price), "service_fee": Decimal("0")},
        ],
    )
    return tariff


def test_boundary_in_the_repeated_hour_when_clocks_go_back(operator):
    # 2 November 2025, Los Angeles: 01:00–02:00 happens twice. A session in the second pass,
    # 01:15–02:15 PST, is 15 minutes before the 01:30 boundary and 45 after; 60 kWh.
    tariff = two_period_tariff(operator, time(1, 30))
    utc = ZoneInfo("UTC")
    start, stop = datetime(2025, 11, 2, 9, 15, tzinfo=utc), datetime(2025, 11, 2, 10, 15, tzinfo=utc)
    assert fee(tariff, start, stop, "60", zone="America/Los_Angeles").electricity_fee == Decimal("465.00")


def test_wall_clock_falling_back_returns_to_the_earlier_period(operator):
    # 01:15 PDT → 01:45 PST (08:15–09:45 UTC), 1 kWh a minute: 01:15–01:30 PDT at 1,
    # 01:30–02:00 PDT at 10, then clocks fall back to 01:00 PST: 01:00–01:30 PST at 1 and
    # 01:30–01:45 PST at 10. 15 + 30 × 10 + 30 + 15 × 10 = 495.
    tariff = two_period_tariff(operator, time(1, 30))
    utc = ZoneInfo("UTC")
    start, stop = datetime(2025, 11, 2, 8, 15, tzinfo=utc), datetime(2025, 11, 2, 9, 45, tzinfo=utc)
    assert fee(tariff, start, stop, "90", zone="America/Los_Angeles").electricity_fee == Decimal("495.00")


def test_boundary_inside_the_skipped_hour_starts_at_the_jump(operator):
    # 9 March 2025, Los Angeles: 02:00–03:00 does not exist. A period "from 02:30" begins when
    # the clock jumps to 03:00 PDT (10:00 UTC). 01:00 PST–04:00 PDT is two real hours, 120 kWh:
    # one hour at 1, one hour at 10.
    tariff = two_period_tariff(operator, time(2, 30))
    start = datetime(2025, 3, 9, 1, tzinfo=LOS_ANGELES)
    stop = datetime(2025, 3, 9, 4, tzinfo=LOS_ANGELES)
    assert fee(tariff, start, stop, "120", zone="America/Los_Angeles").electricity_fee == Decimal("660.00")


def test_schedule_starting_after_midnight_wraps_from_the_previous_day(operator):
    # A schedule made elsewhere (the admin) without a 00:00 period: before 08:00 the previous
    # day's last period (from 20:00, at 10) still runs. 07:00–09:00, 2 kWh: 1 × 10 + 1 × 1.
    tariff = tariff_create(user=None, operator=operator, name="No midnight")
    for starts, price in [(time(8), "1"), (time(20), "10")]:
        tariff.periods.create(
            effective_from=date(2025, 1, 1), starts_at=starts, electricity_price=Decimal(price), service_fee=0
        )
    result = fee(tariff, datetime(2025, 3, 3, 7, tzinfo=SHANGHAI), datetime(2025, 3, 3, 9, tzinfo=SHANGHAI), "2")
    assert result.electricity_fee == Decimal("11.00")
