"""The Bracketed rule (toyvae/evidence/bracketed.py) tested like the rules of ``tests/test_evidence.py``: false calls
at most nominal on the margin of each side, invariances (seed permutation, shift, positive scale), and its errors.

Monte Carlo tolerance: a rate from N = 4000 simulated runs is at most nominal when below nominal + 3 s.e."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from toyvae.evidence import State
from toyvae.evidence.bracketed import Bracketed

N_SIM = 4000
RULE = Bracketed(name="x", says="truth > 0", low="lo", high="hi", b=0.0)


def _at_most(rate: float, nominal: float, n: int = N_SIM) -> bool:
    return rate <= nominal + 3 * np.sqrt(nominal * (1 - nominal) / n)


@pytest.mark.parametrize("n", [3, 6, 10])
def test_false_holds_when_the_conservative_side_sits_on_the_margin(n):
    rng = np.random.default_rng(n)
    states = []
    for _ in range(N_SIM):
        lo = rng.normal(size=n)  # mean 0 = b: 'holds' would be false
        states.append(RULE.judge({"lo": lo, "hi": lo + rng.exponential(size=n)}).state)
    assert _at_most(np.mean([s == State.HOLDS for s in states]), 0.025)


@pytest.mark.parametrize("n", [3, 6, 10])
def test_false_reversed_when_the_liberal_side_sits_on_the_margin(n):
    rng = np.random.default_rng(10 + n)
    states = []
    for _ in range(N_SIM):
        hi = rng.normal(size=n)  # mean 0 = b: 'reversed' would be false
        states.append(RULE.judge({"lo": hi - rng.exponential(size=n), "hi": hi}).state)
    assert _at_most(np.mean([s == State.REVERSED for s in states]), 0.025)


@given(st.lists(st.integers(-5000, 5000), min_size=3, max_size=8), st.floats(0.0, 2.0),
       st.randoms(use_true_random=False), st.floats(-3, 3), st.floats(0.1, 10))
def test_invariant_to_seed_order_shift_and_scale(lo, gap, rnd, shift, scale):
    """Values on a 1e-3 grid with some spread (a zero spread makes t infinite, and a shift's rounding can undo it)."""
    lo = np.asarray(lo, float) / 1000
    assume(np.ptp(lo) > 0.01)
    hi = lo + gap
    state = RULE.judge({"lo": lo, "hi": hi}).state
    perm = list(range(lo.size))
    rnd.shuffle(perm)
    assert RULE.judge({"lo": lo[perm], "hi": hi[perm]}).state == state
    moved = Bracketed(name="x", says="truth > s", low="lo", high="hi", b=shift)
    assert moved.judge({"lo": lo + shift, "hi": hi + shift}).state == state
    assert RULE.judge({"lo": scale * lo, "hi": scale * hi}).state == state


def test_calls_and_errors():
    assert RULE.judge({"lo": np.array([1.0, 1.1, 0.9]), "hi": np.array([2.0, 2.1, 1.9])}).state == State.HOLDS
    assert RULE.judge({"lo": np.array([-2.0, -2.1, -1.9]), "hi": np.array([-1.0, -1.1, -0.9])}).state == State.REVERSED
    assert RULE.judge({"lo": np.array([-1.0, -1.1, -0.9]), "hi": np.array([1.0, 1.1, 0.9])}).state == State.UNRESOLVED
    with pytest.raises(ValueError, match="exceeds"):
        RULE.judge({"lo": np.array([1.0, 1.0]), "hi": np.array([0.0, 0.0])})
    assert RULE.judge({"lo": np.array([np.nan, 1.0]), "hi": np.array([1.0, 1.0])}).state == State.UNRESOLVED
