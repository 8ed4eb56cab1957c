"""BS20.A2-plateaus: the history statistics of :mod:`toyvae.experiments.sigma_plateaus` and the claim's rules,
calibrated on simulated histories like the rules of ``tests/test_evidence.py``.

Simulated LS-VAE histories: 400 records (the quick profile's), log sigma = a smooth fall + AR(1) noise of
correlation time ``tau`` records, an ELBO history with its own trend and noise. The rules are those the claim
registers; a false call is counted only where the rule's premises hold (elsewhere it is untestable, not a call).

Monte Carlo tolerance: a rate estimated from N simulated 6-seed runs is "at most nominal" when it is below
nominal + 3 standard errors, sqrt(p (1 - p) / N) (a correct rule fails this with probability about 0.1%). All
simulations use fixed seeds, so the tests are deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from hypothesis import given
from hypothesis import strategies as st

from toyvae.claims.bs20_plateaus import PLATEAU_RULES
from toyvae.evidence import State, decide
from toyvae.experiments import sigma_plateaus as sp

RECORDS, SEEDS, N_SIM = 400, 6, 2000
T = np.linspace(0.0, 1.0, RECORDS)
ELBO_TREND = np.broadcast_to(-0.5 * T, (SEEDS, RECORDS))
STAIR = next(r for r in PLATEAU_RULES.core if r.name == "sigma falls in plateaus")
COINCIDE = next(r for r in PLATEAU_RULES.core if r.name == "drops coincide with ELBO rises")


def _at_most(rate: float, nominal: float, n: int = N_SIM) -> bool:
    return rate <= nominal + 3 * np.sqrt(nominal * (1 - nominal) / n)


def _ar1(rng, rows: int, tau: float) -> np.ndarray:
    """Stationary AR(1) rows of length RECORDS, correlation time ``tau`` records, unit marginal variance."""
    phi = np.exp(-1.0 / tau)
    innov = rng.normal(scale=np.sqrt(1 - phi**2), size=(rows, RECORDS))
    innov[:, 0] = rng.normal(size=rows)  # start in the stationary law
    return scipy.signal.lfilter([1.0], [1.0, -phi], innov, axis=1)


def _evidence(log_sigma: np.ndarray, elbo: np.ndarray) -> dict[str, np.ndarray]:
    ms, me = sp.block_means(log_sigma), sp.block_means(elbo)
    z = np.array([sp.staircase_index(m) for m in ms])
    noise = np.array([sp.block_noise_ratio(m) for m in ms])
    return {"staircase index": z, "block noise / pace": noise,
            "staircase index - selection bias": z - np.array([sp.selection_bias(r) for r in noise]),
            "log sigma total fall": ms[:, 0] - ms[:, -1],
            "coincidence excess": np.array([np.subtract(*sp.coincidence(a, b)) for a, b in zip(ms, me)])}


def _states(log_sigma: np.ndarray, elbo: np.ndarray) -> dict[str, State]:
    return {j.name: j.state for j in decide(PLATEAU_RULES, _evidence(log_sigma, elbo)).judgements}


def _waves(rng, rows: int, depth: float) -> np.ndarray:
    """Falls whose pace varies smoothly between (1 - depth) and (1 + depth) of its mean, random phase and 1-4 waves."""
    phase, k = rng.uniform(0, 2 * np.pi, (rows, 1)), rng.uniform(1, 4, (rows, 1))
    pace = 1 + depth * np.sin(2 * np.pi * k * T + phase)
    return -2.0 * np.cumsum(pace, axis=1) / pace.sum(axis=1, keepdims=True)


def _staircase(rng, rows: int, steps: int) -> np.ndarray:
    """Falls of 2 in total in ``steps`` drops of equal size at random records, flat in between."""
    at = np.sort(rng.choice(np.arange(40, RECORDS - 20), size=(rows, steps)), axis=1)
    return -2.0 / steps * (T[None, :, None] >= T[at][:, None, :]).sum(axis=2)


FAST = {("steady", 5.0), ("exponential T/10", 50.0), ("waves x3", 150.0)}  # the default run; --runslow: all
SMOOTH = {"steady": lambda rng, n: np.broadcast_to(-2.0 * T, (n, RECORDS)),
          "exponential T/3": lambda rng, n: np.broadcast_to(-2.0 * (1 - np.exp(-3 * T)), (n, RECORDS)),
          "exponential T/10": lambda rng, n: np.broadcast_to(-2.0 * (1 - np.exp(-10 * T)), (n, RECORDS)),
          "power law": lambda rng, n: np.broadcast_to(-2.0 * np.log1p(20 * T) / np.log(21), (n, RECORDS)),
          "waves x3": lambda rng, n: _waves(rng, n, 0.5)}


# ---------------------------------------------------------------- the statistics on known histories


def test_staircase_index_on_known_shapes():
    m = np.repeat([0.0, -1.0, -2.0, -3.0], 10)  # three drops between flat plateaus
    assert sp.staircase_index(m) == pytest.approx(np.log(sp.FLAT_CAP))
    assert sp.staircase_index(np.linspace(0, -2, 40)) == pytest.approx(0.0, abs=1e-12)  # a steady fall
    for shape in (1 - np.exp(-np.linspace(0, 3, 40)), np.log1p(np.linspace(0, 20, 40))):  # falls that only slow down
        assert sp.staircase_index(-shape) <= 1e-12
    assert np.isnan(sp.staircase_index(np.linspace(0, 1, 40)))  # no fall: no pace
    assert sp.block_noise_ratio(np.linspace(0, -2, 40)) == pytest.approx(0.0, abs=1e-9)


def test_block_noise_ratio_reads_iid_block_noise():
    """On a steady fall with iid block noise of sd s, the robust estimate is s / pace within its sampling error
    (the MAD of 38 second differences: relative s.e. about 0.2; the mean over 500 histories: 0.2 / sqrt(500))."""
    rng = np.random.default_rng(0)
    pace, s = 2.0 / 39, 0.01
    est = [sp.block_noise_ratio(np.linspace(0, -2, 40) + s * rng.normal(size=40)) for _ in range(500)]
    assert np.mean(est) == pytest.approx(s / pace, rel=3 * 0.2 / np.sqrt(500) + 0.03)  # + MAD's small-n bias


@given(st.floats(0.1, 10.0), st.floats(-5.0, 5.0), st.integers(0, 2**31))
def test_statistics_are_invariant_to_affine_maps(scale, shift, seed):
    rng = np.random.default_rng(seed)
    m = np.cumsum(-np.abs(rng.normal(size=40)))
    e = rng.normal(size=40).cumsum()
    assert sp.staircase_index(scale * m + shift) == pytest.approx(sp.staircase_index(m), abs=1e-9)
    assert sp.block_noise_ratio(scale * m + shift) == pytest.approx(sp.block_noise_ratio(m), rel=1e-9)
    z, z0 = sp.coincidence(m, e)
    assert sp.coincidence(scale * m + shift, scale * e + shift) == pytest.approx((z, z0), abs=1e-9)
    zf, z0f = sp.coincidence(m, -e)  # an ELBO read with the opposite sign flips the coincidence
    assert (zf, z0f) == pytest.approx((-z, -z0), abs=1e-9)


# ---------------------------------------------------------------- calibration of the staircase rule


GRID = [pytest.param(shape, tau, noise, marks=() if (shape, tau) in FAST else pytest.mark.slow)
        for shape in SMOOTH for tau, noise in [(5.0, 0.002), (5.0, 0.005), (50.0, 0.01), (150.0, 0.02)]]


@pytest.mark.parametrize("shape,tau,noise", GRID)
def test_staircase_rule_false_holds_on_smooth_falls(shape, tau, noise):
    """No plateaus (steady, slowing, or pace waves within a factor 3): a false 'plateaus' at most alpha / 2
    among the runs whose premises hold; AR(1) noise with correlation times up to 150 records."""
    rng = np.random.default_rng(hash((shape, tau, noise)) % 2**32)
    holds = tested = 0
    for _ in range(N_SIM // 4):
        ls = SMOOTH[shape](rng, SEEDS) + noise * _ar1(rng, SEEDS, tau)
        s = _states(ls, -0.5 * T + 0.05 * _ar1(rng, SEEDS, tau))
        tested += s["sigma falls in plateaus"] != State.UNTESTABLE
        holds += s["sigma falls in plateaus"] == State.HOLDS
    assert tested > 0
    assert _at_most(holds / max(tested, 1), 0.025, max(tested, 1))


def _boundary_states(shape: int, tau: float, noise: float, runs: int) -> tuple[int, int, int]:
    """(false 'plateaus', false 'no plateaus', tested) over ``runs`` 6-seed runs of a boundary history: noise-free
    staircase index exactly log 2 (the three shapes of ``sp._boundary_paces``), plus AR(1) noise."""
    rng = np.random.default_rng(1000 * shape + int(tau) + int(1e4 * noise))
    pace = sp._boundary_paces(sp.BLOCKS - 1)[shape]
    base = np.repeat(np.concatenate([[0.0], -np.cumsum(pace)]) * (2.0 / pace.sum()), RECORDS // sp.BLOCKS)
    holds = reversed_ = tested = 0
    for _ in range(runs):
        s = _states(base + noise * _ar1(rng, SEEDS, tau), ELBO_TREND)["sigma falls in plateaus"]
        tested += s != State.UNTESTABLE
        holds += s == State.HOLDS
        reversed_ += s == State.REVERSED
    return holds, reversed_, tested


# The default run: shape 0 at every noise, and every shape at the longest correlation; --runslow: all 12.
BOUNDARY_NO = [pytest.param(shape, tau, noise, marks=() if shape == 0 or tau == 150.0 else pytest.mark.slow)
               for tau, noise in [(5.0, 0.0005), (5.0, 0.005), (50.0, 0.01), (150.0, 0.01)] for shape in (0, 1, 2)]


@pytest.mark.parametrize("shape,tau,noise", BOUNDARY_NO)
def test_no_plateaus_call_keeps_its_level_at_the_boundary(shape, tau, noise):
    """On the boundary, a false 'no plateaus' (the call BS20.A2-plateaus makes) at most alpha / 2, AR(1) noise
    correlated over up to 15 blocks included: it reads the plain index, which noise only raises by selection."""
    holds, reversed_, tested = _boundary_states(shape, tau, noise, N_SIM // 8)
    assert tested > 0 and _at_most(reversed_ / tested, 0.025, tested)


@pytest.mark.parametrize("shape,noise", [(0, 0.0005), (0, 0.005), *(pytest.param(s, n, marks=pytest.mark.slow)
                                                                      for s in (1, 2) for n in (0.0005, 0.005))])
def test_plateaus_call_keeps_its_level_at_the_boundary(shape, noise):  # the default run: shape 0; --runslow: all 6
    """On the boundary, a false 'plateaus' at most alpha / 2 for noise correlated over half a block (5 records): the
    selection-bias correction keeps it there (the plain index exceeds log 2 in most such runs)."""
    holds, reversed_, tested = _boundary_states(shape, 5.0, noise, N_SIM // 8)
    assert tested > 0 and _at_most(holds / tested, 0.025, tested)


@pytest.mark.xfail(strict=True, reason="known limit: noise correlated over several blocks wanders like a change of "
                   "pace, which one history cannot tell apart; the bias bound assumes independent blocks")
def test_plateaus_call_is_not_calibrated_for_noise_correlated_over_blocks():
    holds, reversed_, tested = _boundary_states(1, 50.0, 0.01, N_SIM // 8)  # 5 blocks: about 40% false 'plateaus'
    assert _at_most(holds / tested, 0.025, tested)


@pytest.mark.parametrize("steps", [2, 4])
def test_staircase_rule_power_on_plateau_histories(steps):
    """Staircases (2 or 4 equal drops at random records, flat between) with AR(1) noise: 'plateaus' HOLDS in at
    least 95% of 6-seed runs. (With 8 drops in 40 blocks, 16 of the 38 second differences are steps and the robust
    noise estimate breaks down: the noise premise then fails in some seeds, or the selection-bias correction it
    feeds is too large, and the rule is untestable or unresolved, never reversed:
    :func:`test_many_drops_make_the_rule_untestable_not_reversed`.)"""
    rng = np.random.default_rng(steps)
    states = []
    for _ in range(200):
        ls = _staircase(rng, SEEDS, steps) + 0.005 * _ar1(rng, SEEDS, 5.0)
        states.append(_states(ls, -0.5 * T + 0.05 * _ar1(rng, SEEDS, 5.0))["sigma falls in plateaus"])
    assert np.mean([s == State.HOLDS for s in states]) >= 0.95


def test_many_drops_make_the_rule_untestable_not_reversed():
    rng = np.random.default_rng(8)
    states = [_states(_staircase(rng, SEEDS, 8) + 0.005 * _ar1(rng, SEEDS, 5.0), ELBO_TREND)["sigma falls in plateaus"]
              for _ in range(100)]
    assert State.REVERSED not in states  # untestable (the noise premise) or unresolved: power about 4% here


def test_a_noisy_history_makes_the_staircase_untestable():
    rng = np.random.default_rng(3)
    ls = -2.0 * T + 0.05 * _ar1(rng, SEEDS, 5.0)  # block noise about 1/2 of the pace
    assert _states(ls, ELBO_TREND)["sigma falls in plateaus"] == State.UNTESTABLE


# ---------------------------------------------------------------- calibration of the coincidence rule


@pytest.mark.parametrize("shape,tau", [
    ("exponential T/3", 50.0), ("waves x3", 150.0),  # the default run; --runslow: all six
    *(pytest.param(s, t, marks=pytest.mark.slow)
      for s, t in [("exponential T/3", 5.0), ("exponential T/3", 150.0), ("waves x3", 5.0), ("waves x3", 50.0)])])
def test_coincidence_false_holds_on_unrelated_histories(shape, tau):
    """Sigma's and the ELBO's fluctuations independent (each with its own trend and AR(1) noise): a false
    'coincide' at most alpha / 2."""
    rng = np.random.default_rng(int(tau) + len(shape))
    holds = []
    for _ in range(N_SIM):
        ls = SMOOTH[shape](rng, SEEDS) + 0.01 * _ar1(rng, SEEDS, tau)
        elbo = -0.5 * (1 - np.exp(-3 * T)) + 0.05 * _ar1(rng, SEEDS, tau)
        holds.append(COINCIDE.judge(_evidence(ls, elbo)).state == State.HOLDS)
    assert _at_most(float(np.mean(holds)), 0.025)


def test_coincidence_power_when_the_elbo_follows_sigma():
    """The ELBO rising by D |d log sigma| (eq. 10's coupling, D = 2) under batch noise of 10x sigma's: 'coincide'
    HOLDS in at least 95% of 6-seed runs."""
    rng = np.random.default_rng(11)
    holds = []
    for _ in range(200):
        ls = _waves(rng, SEEDS, 0.5) + 0.01 * _ar1(rng, SEEDS, 5.0)
        elbo = -2.0 * ls + 0.1 * _ar1(rng, SEEDS, 5.0)
        holds.append(COINCIDE.judge(_evidence(ls, elbo)).state == State.HOLDS)
    assert np.mean(holds) >= 0.95
