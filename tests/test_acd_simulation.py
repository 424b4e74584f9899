"""The real engine, driven in virtual time, behaves like the M/M/N queue Erlang C describes."""

from __future__ import annotations

import pytest

from acd.devtools.simulation import simulate

pytestmark = pytest.mark.slow


async def test_service_level_matches_erlang_c_at_10_erlangs_with_14_agents(redis):
    # 100 contacts per 30 min, AHT 180 s: 10 Erlangs; Erlang C says SL(20 s) = 88.8 %, P(wait) 17.4 %
    result = await simulate(redis, agents=14, arrivals_per_s=100 / 1800, aht_s=180, threshold_s=20,
                            contacts=8_000, seed=1)
    assert result.erlang_service_level == pytest.approx(0.88835, abs=1e-5)
    assert result.contacts == 7_840
    assert abs(result.service_level - result.erlang_service_level) < 0.03
    assert abs(result.p_wait - result.erlang_p_wait) < 0.03
    assert abs(result.asa_s - result.erlang_asa_s) < 3.0
    assert result.virtual_s > 100_000  # about 40 hours of virtual time in a few seconds


async def test_wait_estimates_told_to_waiting_contacts_beat_a_constant_guess(redis):
    # a visitor who has to wait is told an EWT; it must be nearly unbiased and closer to the
    # realised wait than telling everyone the average wait would be
    result = await simulate(redis, agents=14, arrivals_per_s=100 / 1800, aht_s=180, threshold_s=20,
                            contacts=8_000, seed=2)
    assert result.ewt_samples > 1_000
    assert abs(result.ewt_bias_s) < 0.2 * result.mean_wait_of_waiting_s
    assert result.ewt_mae_s < result.constant_mae_s
