"""Business hours: weekly ranges, night shifts, holidays, DST in Europe/Berlin, per-queue hours,
and the config checks an operator sees for a wrong zone, range or date."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from conftest import DEMO_CONFIG

from gateway.config import ConfigError, load_config
from gateway.config.loader import load_config_text
from gateway.config.schema import HoursConfig
from gateway.hours.schedule import is_open, next_open, open_for

pytestmark = pytest.mark.timeout(10)
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = HoursConfig(
    timezone="Europe/Berlin",
    weekly={"mon": ["08:00-12:00", "13:00-18:00"], "tue": ["08:00-18:00"], "wed": ["08:00-18:00"],
            "thu": ["08:00-18:00"], "fri": ["08:00-16:00"], "sat": [], "sun": []},
    holidays=["2026-12-25"],
)


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def test_weekly_ranges_with_a_lunch_break():
    assert is_open(OFFICE, berlin(2026, 11, 30, 8, 0))  # Monday, opening minute
    assert is_open(OFFICE, berlin(2026, 11, 30, 11, 59))
    assert not is_open(OFFICE, berlin(2026, 11, 30, 12, 30))  # lunch
    assert not is_open(OFFICE, berlin(2026, 11, 30, 18, 0))  # the end minute is closed
    assert not is_open(OFFICE, berlin(2026, 11, 28, 10, 0))  # Saturday
    assert next_open(OFFICE, berlin(2026, 11, 30, 12, 30)) == berlin(2026, 11, 30, 13, 0)


def test_the_instant_is_read_in_the_configured_zone():
    # 07:30 UTC on a Monday in winter is 08:30 in Berlin: open; 17:30 UTC is 18:30 there: closed
    assert is_open(OFFICE, dt.datetime(2026, 11, 30, 7, 30, tzinfo=dt.UTC))
    assert not is_open(OFFICE, dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.UTC))
    with pytest.raises(ValueError):
        is_open(OFFICE, dt.datetime(2026, 11, 30, 9, 0))  # a naive time is a bug, not a guess


def test_next_open_across_a_weekend():
    friday_evening = berlin(2026, 11, 27, 16, 30)
    assert not is_open(OFFICE, friday_evening)
    assert next_open(OFFICE, friday_evening) == berlin(2026, 11, 30, 8, 0)
    assert next_open(OFFICE, berlin(2026, 11, 30, 9, 0)) == berlin(2026, 11, 30, 9, 0)  # open now: now


def test_a_holiday_is_closed_and_skipped():
    assert not is_open(OFFICE, berlin(2026, 12, 25, 10, 0))  # a Friday, but Christmas
    assert next_open(OFFICE, berlin(2026, 12, 24, 19, 0)) == berlin(2026, 12, 28, 8, 0)


def test_a_night_shift_runs_past_midnight():
    nights = HoursConfig(timezone="Europe/Berlin", weekly={"fri": ["22:00-06:00"]})
    assert is_open(nights, berlin(2026, 11, 27, 23, 0))  # Friday night
    assert is_open(nights, berlin(2026, 11, 28, 5, 59))  # Saturday morning, same shift
    assert not is_open(nights, berlin(2026, 11, 28, 6, 0))
    assert not is_open(nights, berlin(2026, 11, 28, 23, 0))  # no shift starts on Saturday
    assert next_open(nights, berlin(2026, 11, 28, 7, 0)) == berlin(2026, 12, 4, 22, 0)


def test_wall_clock_hours_hold_across_the_dst_switches():
    daily = HoursConfig(timezone="Europe/Berlin", weekly={d: ["08:00-18:00"] for d in
                                                         ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    # 29 March 2026 clocks go 02:00 -> 03:00: 08:00 local is 06:00 UTC after, 07:00 UTC before
    assert not is_open(daily, dt.datetime(2026, 3, 28, 6, 30, tzinfo=dt.UTC))  # 07:30 CET
    assert is_open(daily, dt.datetime(2026, 3, 29, 6, 30, tzinfo=dt.UTC))  # 08:30 CEST
    opening = next_open(daily, dt.datetime(2026, 3, 29, 0, 0, tzinfo=dt.UTC))
    assert opening is not None and opening.astimezone(dt.UTC) == dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)
    # 25 October 2026 back to CET: 08:00 local is 07:00 UTC
    opening = next_open(daily, dt.datetime(2026, 10, 25, 0, 0, tzinfo=dt.UTC))
    assert opening is not None and opening.astimezone(dt.UTC) == dt.datetime(2026, 10, 25, 7, 0, tzinfo=dt.UTC)
    # an opening in the skipped hour begins at the first real minute after it
    early = HoursConfig(timezone="Europe/Berlin", weekly={"sun": ["02:30-05:00"]})
    opening = next_open(early, dt.datetime(2026, 3, 29, 0, 0, tzinfo=dt.UTC))
    assert opening is not None and opening.astimezone(dt.UTC) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


def test_no_hours_is_always_open_and_the_closed_flag_never_opens():
    assert is_open(None, berlin(2026, 12, 25, 3, 0))
    around_the_clock = HoursConfig(timezone="Europe/Berlin", holidays=["2026-12-25"])
    assert is_open(around_the_clock, berlin(2026, 12, 24, 23, 59))
    assert not is_open(around_the_clock, berlin(2026, 12, 25, 12, 0))
    assert next_open(around_the_clock, berlin(2026, 12, 25, 12, 0)) == berlin(2026, 12, 26, 0, 0)
    shut = HoursConfig(timezone="Europe/Berlin", closed=True)
    assert not is_open(shut, berlin(2026, 11, 30, 10, 0))
    assert next_open(shut, berlin(2026, 11, 30, 10, 0)) is None


def test_demo_is_open_unless_the_env_closes_it_and_a_queue_may_have_its_own_hours():
    now = berlin(2026, 11, 28, 3, 0)  # a Saturday night
    config = load_config(DEMO_CONFIG, env={})
    assert open_for(config, "demo", None, now) and open_for(config, "demo", "billing", now)
    config.tenants["demo"].queues["sales"].hours = OFFICE
    assert not open_for(config, "demo", "sales", now)
    assert open_for(config, "demo", "billing", now)  # the tenant's hours
    closed = load_config(DEMO_CONFIG, env={"DEMO_HOURS_CLOSED": "1"})
    assert not open_for(closed, "demo", "billing", now)


def test_wrong_hours_are_reported_with_their_line():
    text = DEMO_CONFIG.read_text(encoding="utf-8").replace(
        "      timezone: Europe/Berlin\n      holidays: []\n",
        "      timezone: Europe/Berlim\n      weekly: {mon: [\"08:00-18:60\"], fri: [\"9-17\"], sunday: []}\n"
        "      holidays: [\"2026-13-01\"]\n",
    )
    with pytest.raises(ConfigError) as err:
        load_config_text(text, "demo.yaml", env={})
    messages = "\n".join(err.value.lines())
    assert "'Europe/Berlim' is not a time zone" in messages
    assert "'18:60' is not a time of day" in messages
    assert "'9' is not a time HH:MM" in messages
    assert "'sunday' is not a day" in messages
    assert "'2026-13-01' is not a date YYYY-MM-DD" in messages
    assert all(line.startswith("demo.yaml:") and not line.startswith("demo.yaml:1:") for line in err.value.lines())


def test_next_close_and_next_change():
    from gateway.hours.schedule import next_change, next_close

    assert next_close(OFFICE, berlin(2026, 11, 30, 9, 0)) == berlin(2026, 11, 30, 12, 0)  # lunch
    assert next_close(OFFICE, berlin(2026, 11, 30, 12, 30)) == berlin(2026, 11, 30, 12, 30)  # closed now: now
    assert next_change(OFFICE, berlin(2026, 11, 30, 12, 30)) == berlin(2026, 11, 30, 13, 0)
    assert next_change(OFFICE, berlin(2026, 11, 27, 10, 0)) == berlin(2026, 11, 27, 16, 0)  # Friday
    night = HoursConfig(timezone="Europe/Berlin", weekly={"mon": ["22:00-24:00"], "tue": ["00:00-06:00"]})
    assert next_close(night, berlin(2026, 11, 30, 23, 0)) == berlin(2026, 12, 1, 6, 0)  # openings that touch run on
    assert next_close(HoursConfig(timezone="Europe/Berlin"), berlin(2026, 11, 30, 9, 0)) is None  # around the clock
    assert next_close(None, berlin(2026, 11, 30, 9, 0)) is None
    # the closing is read in local time across the DST switch (29 March 2026: 02:00 -> 03:00)
    early = HoursConfig(timezone="Europe/Berlin", weekly={"sun": ["00:00-04:00"]})
    assert next_close(early, berlin(2026, 3, 29, 1, 0)) == berlin(2026, 3, 29, 4, 0)


def test_when_closed_must_be_wait_or_escalate():
    with pytest.raises(ConfigError, match="when_closed must be wait or escalate"):
        load_config_text(_with_when_closed(DEMO_CONFIG.read_text(), "panic"), env={})
    config = load_config_text(_with_when_closed(DEMO_CONFIG.read_text(), "escalate"), env={})
    assert config.tenants["demo"].hours is not None and config.tenants["demo"].hours.when_closed == "escalate"


def _with_when_closed(text: str, value: str) -> str:
    assert "\n    hours:\n" in text
    return text.replace("\n    hours:\n", f"\n    hours:\n      when_closed: {value}\n", 1)
