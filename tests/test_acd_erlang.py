"""Erlang C: the textbook example and numerical stability at 10,000 agents."""

from __future__ import annotations

import math

import pytest

from acd import erlang


def test_known_values_100_contacts_per_half_hour():
    traffic = erlang.traffic(100, 1800, 180)
    assert traffic == pytest.approx(10.0)
    assert erlang.erlang_c(14, traffic) == pytest.approx(0.1741319, abs=5e-8)
    assert erlang.service_level(14, traffic, 180, 20) == pytest.approx(0.8883500, abs=5e-8)
    assert erlang.asa(14, traffic, 180) == pytest.approx(7.836, abs=5e-4)
    assert erlang.agents_needed(traffic, 180, 20, 0.8) == 14
    assert erlang.service_level(13, traffic, 180, 20) < 0.8


def test_stable_with_ten_thousand_agents():
    pw = erlang.erlang_c(10_000, 9_800.0)
    assert 0.0 < pw < 1.0 and math.isfinite(pw)
    assert erlang.erlang_b(10_000, 10_000.0) == pytest.approx(0.00794, abs=1e-4)
    needed = erlang.agents_needed(9_800.0, 180, 20, 0.8)
    assert 9_800 < needed < 9_900
    assert erlang.service_level(needed, 9_800.0, 180, 20) >= 0.8 > erlang.service_level(needed - 1, 9_800.0, 180, 20)


def test_edges():
    assert erlang.erlang_c(5, 5.0) == 1.0
    assert erlang.service_level(5, 6.0, 180, 20) == 0.0
    assert erlang.asa(5, 6.0, 180) == math.inf
    assert erlang.agents_needed(0.0, 180, 20, 0.8) == 0
    assert erlang.erlang_b(0, 3.0) == 1.0
