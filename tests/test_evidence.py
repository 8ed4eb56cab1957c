"""The evidence layer tested like numerical code: calibration on simulated nulls (including AR(1)
histories with long correlation times), power against simulation, invariances (Hypothesis), and the
verdict function's truth table.

Monte Carlo tolerances: a false-call rate estimated from N independent simulated runs has standard error
sqrt(p (1 - p) / N); a rate is "at most nominal" when it is below nominal + 3 standard errors (a correct
rule fails this with probability about 0.1%), with N = 4000 (SE 0.0034 at p = 0.05). All simulations use
fixed seeds, so the tests are deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toyvae.evidence import (
    Equivalence,
    Exact,
    NonInferiority,
    Ordering,
    Role,
    Rules,
    Settled,
    State,
    Towards,
    Within,
    decide,
    equivalence_power,
    holm,
    ordering_power,
    seeds_for_power,
)

N_SIM = 4000
ALPHA = 0.05


def _at_most(rate: float, nominal: float, n: int = N_SIM) -> bool:
    return rate <= nominal + 3 * np.sqrt(nominal * (1 - nominal) / n)


def _rate(states, which) -> float:
    return float(np.mean([s in which for s in states]))


# ---------------------------------------------------------------- calibration on nulls


@pytest.mark.parametrize("n", [3, 6, 10])
def test_ordering_false_calls_on_a_null_at_most_nominal(n):
    rng = np.random.default_rng(n)
    rule = Ordering(name="o", says="a > b", a="a", b="b")
    states = []
    for _ in range(N_SIM):
        b = rng.normal(size=n)
        a = b + rng.normal(size=n)  # true mean difference 0
        states.append(rule.judge({"a": a, "b": b}).state)
    assert _at_most(_rate(states, {State.HOLDS}), ALPHA / 2)
    assert _at_most(_rate(states, {State.REVERSED}), ALPHA / 2)
    # and not absurdly conservative: the two-sided level is actually used
    assert _rate(states, {State.HOLDS, State.REVERSED}) > ALPHA - 3 * np.sqrt(ALPHA * (1 - ALPHA) / N_SIM)


@pytest.mark.parametrize("n", [3, 6])
def test_equivalence_false_holds_on_the_margin_at_most_nominal(n):
    rng = np.random.default_rng(10 + n)
    margin = 0.1
    rule = Equivalence(name="e", says="x = 0", a="x", margin=margin)
    sims = N_SIM // 2  # each unresolved judgement also computes its power (a quadrature): 2000 runs per rate
    states = [rule.judge({"x": margin + rng.normal(scale=0.05, size=n)}).state for _ in range(sims)]
    assert _at_most(_rate(states, {State.HOLDS}), ALPHA, n=sims)
    # inside the margin (truth 0), a false "different" is at most nominal
    states0 = [rule.judge({"x": rng.normal(scale=0.05, size=n)}).state for _ in range(sims)]
    assert _at_most(_rate(states0, {State.REVERSED}), ALPHA, n=sims)


def test_noninferiority_false_holds_at_the_margin_at_most_nominal():
    rng = np.random.default_rng(21)
    rule = NonInferiority(name="ni", says="a >= b - 0.2", a="a", b=0.0, margin=0.2)
    states = [rule.judge({"a": -0.2 + rng.normal(size=5)}).state for _ in range(N_SIM)]
    assert _at_most(_rate(states, {State.HOLDS}), ALPHA)


def _ar1(rng, seeds: int, length: int, tau: float, burn: int | None = None) -> np.ndarray:
    """Stationary AR(1) histories with correlation time ``tau`` records (unit marginal variance)."""
    phi = np.exp(-1.0 / tau)
    x = rng.normal(size=seeds)  # start in the stationary law
    out = np.empty((seeds, length))
    innov = rng.normal(scale=np.sqrt(1 - phi**2), size=(seeds, length))
    for t in range(length):
        x = phi * x + innov[:, t]
        out[:, t] = x
    return out


@pytest.mark.parametrize("seeds", [3, 6])
def test_settled_on_stationary_ar1_with_long_correlation_keeps_its_level(seeds):
    """A stationary history with a 300-record correlation time over a 2000-record window: the rule must not
    call it 'drifting beyond materiality' more often than alpha (a slope t-test on block means does)."""
    rng = np.random.default_rng(300 + seeds)
    rule = Settled(name="s", says="settled", history="h", materiality=0.5, relative=False)
    states = [rule.judge({"h": _ar1(rng, seeds, 2000, 300.0)}).state for _ in range(1000)]
    assert _at_most(_rate(states, {State.REVERSED}), ALPHA, n=1000)


def test_settled_false_holds_when_the_drift_equals_materiality():
    rng = np.random.default_rng(7)
    length, m = 400, 0.5
    ramp = np.linspace(0.0, 2 * m, length)  # halves' means differ by exactly m (up to the grid: see below)
    ramp *= m / (ramp[length // 2:].mean() - ramp[: length // 2].mean())
    rule = Settled(name="s", says="settled", history="h", materiality=m, relative=False)
    states = [rule.judge({"h": ramp + _ar1(rng, 4, length, 50.0)}).state for _ in range(1000)]
    assert _at_most(_rate(states, {State.HOLDS}), ALPHA, n=1000)


def test_decide_family_wise_false_not_reproduced_at_most_alpha():
    """Four core orderings, all null: 'not reproduced' (any reversal after Holm) at most alpha overall."""
    rng = np.random.default_rng(4)
    rules = Rules(core=tuple(Ordering(name=f"o{k}", says=f"o{k}", a=f"a{k}", b=0.0) for k in range(4)))
    verdicts = [decide(rules, {f"a{k}": rng.normal(size=5) for k in range(4)}).verdict for _ in range(2000)]
    assert _at_most(float(np.mean([v == "not reproduced" for v in verdicts])), ALPHA, n=2000)


def test_decide_false_confirmed_when_one_prediction_is_null():
    """Three true effects and one null: 'confirmed' needs all four, so at most alpha / 2 (one side)."""
    rng = np.random.default_rng(5)
    rules = Rules(core=tuple(Ordering(name=f"o{k}", says=f"o{k}", a=f"a{k}", b=0.0) for k in range(4)))
    verdicts = []
    for _ in range(N_SIM):
        ev = {f"a{k}": 5.0 + rng.normal(size=6) for k in range(3)}
        ev["a3"] = rng.normal(size=6)
        verdicts.append(decide(rules, ev).verdict)
    assert _at_most(float(np.mean([v == "confirmed" for v in verdicts])), ALPHA / 2)


# ---------------------------------------------------------------- power


@pytest.mark.parametrize("n,delta", [(3, 2.0), (6, 1.0), (10, 0.5)])
def test_ordering_power_matches_simulation(n, delta):
    rng = np.random.default_rng(n)
    rule = Ordering(name="o", says="a > 0", a="a")
    sim = _rate([rule.judge({"a": delta + rng.normal(size=n)}).state for _ in range(N_SIM)], {State.HOLDS})
    exact = ordering_power(n, delta, 1.0)
    assert abs(sim - exact) < 4 * np.sqrt(exact * (1 - exact) / N_SIM)


@pytest.mark.parametrize("n,sd", [(3, 0.05), (6, 0.08), (10, 0.1)])
def test_equivalence_power_matches_simulation(n, sd):
    rng = np.random.default_rng(n)
    rule = Equivalence(name="e", says="x = 0", a="x", margin=0.1)
    sim = _rate([rule.judge({"x": rng.normal(scale=sd, size=n)}).state for _ in range(N_SIM)], {State.HOLDS})
    exact = equivalence_power(n, 0.1, sd)
    assert abs(sim - exact) < 4 * np.sqrt(max(exact * (1 - exact), 1e-4) / N_SIM)


def test_an_equivalence_that_cannot_pass_says_so():
    """BS20.A2's old margin: +-0.1 nats with a seed spread of 0.14 at n = 6 passes at most 1 time in 5."""
    assert equivalence_power(6, 0.1, 0.14) < 0.2
    need = seeds_for_power(lambda k: equivalence_power(k, 0.1, 0.14))
    assert need is not None and need > 10
    assert need == min(k for k in range(2, 200) if equivalence_power(k, 0.1, 0.14) >= 0.8)  # bisection = scan
    rule = Equivalence(name="e", says="x = 0", a="x", margin=0.1, pilot_sd=0.14)
    j = rule.judge({"x": np.array([0.1, -0.15, 0.2, -0.05, 0.0, 0.12])})
    assert j.state == State.UNRESOLVED and j.numbers["power"] < 0.2 and j.numbers["seeds_for_80pct"] == need


def test_unresolved_ordering_reports_power_and_seeds_needed():
    rule = Ordering(name="o", says="a > b", a="a", b="b", effect=0.5)
    j = rule.judge({"a": np.array([0.3, -0.2, 0.6]), "b": np.zeros(3)})
    assert j.state == State.UNRESOLVED
    assert 0 < j.numbers["power"] < 0.8 and j.numbers["seeds_for_80pct"] > 3
    assert "seeds give 80%" in j.sentence


# ---------------------------------------------------------------- properties

_seeds = st.lists(st.floats(-10, 10, allow_nan=False), min_size=3, max_size=8)


@given(_seeds, st.randoms(use_true_random=False))
def test_ordering_is_invariant_under_a_permutation_of_seeds(values, rnd):
    a = np.array(values)
    b = np.linspace(-1, 1, a.size)
    perm = list(range(a.size))
    rnd.shuffle(perm)
    rule = Ordering(name="o", says="a > b", a="a", b="b")
    j1, j2 = rule.judge({"a": a, "b": b}), rule.judge({"a": a[perm], "b": b[perm]})
    assert j1.state == j2.state and np.isclose(j1.numbers["t"], j2.numbers["t"], equal_nan=True)


@given(_seeds)
def test_swapping_the_sides_swaps_holds_and_reversed(values):
    a, b = np.array(values), np.zeros(len(values))
    flip = {State.HOLDS: State.REVERSED, State.REVERSED: State.HOLDS, State.UNRESOLVED: State.UNRESOLVED}
    s1 = Ordering(name="o", says="a > b", a="a", b="b").judge({"a": a, "b": b}).state
    s2 = Ordering(name="o", says="b > a", a="b", b="a").judge({"a": a, "b": b}).state
    assert s2 == flip[s1]


@given(_seeds, st.floats(1e-3, 1e3))
def test_states_are_scale_invariant(values, c):
    a = np.array(values)
    o = Ordering(name="o", says="a > 0", a="a")
    assert o.judge({"a": a}).state == o.judge({"a": c * a}).state
    e1 = Equivalence(name="e", says="a = 0", a="a", margin=1.0)
    e2 = Equivalence(name="e", says="a = 0", a="a", margin=c)
    assert e1.judge({"a": a}).state == e2.judge({"a": c * a}).state


# ---------------------------------------------------------------- deterministic rules, errors


def test_exact_and_within():
    assert Exact(name="x", says="x = 1", a="x", reference=1.0, tol=1e-9).judge({"x": [1.0, 1 + 1e-12]}).state == State.HOLDS
    assert Exact(name="x", says="x = 1", a="x", reference=1.0, tol=1e-9).judge({"x": [1.0, 1.1]}).state == State.REVERSED
    assert Exact(name="x", says="x = 1", a="x", reference=1.0, tol=1e-9).judge({"x": [np.nan]}).state == State.REVERSED
    assert Within(name="w", says="x >= 0", a="x", low=0.0).judge({"x": [0.0, 3.0]}).state == State.HOLDS
    assert Within(name="w", says="x >= 0", a="x", low=0.0).judge({"x": [-1e-3, 3.0]}).state == State.REVERSED


def test_missing_evidence_and_bad_rules_are_named():
    with pytest.raises(KeyError, match="'nope' is missing"):
        Ordering(name="o", says="s", a="nope").judge({"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match="margin"):
        Equivalence(name="e", says="s", a="a", margin=0.0)
    with pytest.raises(ValueError, match="unique"):
        Rules(core=(Ordering(name="o", says="s", a="a"), Ordering(name="o", says="t", a="b")))
    with pytest.raises(ValueError, match="unknown premises"):
        Rules(core=(Ordering(name="o", says="s", a="a", requires=("p",)),))


def test_one_seed_or_nonfinite_evidence_is_unresolved_not_a_verdict():
    o = Ordering(name="o", says="a > 0", a="a")
    assert o.judge({"a": [5.0]}).state == State.UNRESOLVED
    assert o.judge({"a": [5.0, np.nan, 6.0]}).state == State.UNRESOLVED


def test_towards_uses_vectors_and_detects_moving_away():
    ref = np.array([0.5, 0.3, 0.2])
    early = np.array([[0.9, 0.05, 0.05]] * 4) + np.linspace(0, 0.01, 4)[:, None]
    late = ref + np.array([[0.01, -0.01, 0.0]] * 4) * np.arange(1, 5)[:, None]
    t = Towards(name="t", says="towards water-filling", early="e", late="l", reference="r")
    assert t.judge({"e": early, "l": late, "r": ref}).state == State.HOLDS
    assert t.judge({"e": late, "l": early, "r": ref}).state == State.REVERSED


def test_holm_step_down():
    assert holm([0.01, 0.04, 0.03], 0.05) == [True, False, False]
    assert holm([0.01, 0.02, 0.03], 0.05) == [True, True, True]
    assert holm([], 0.05) == []


# ---------------------------------------------------------------- the truth table


def _o(name, key, **kw):
    return Ordering(name=name, says=name, a=key, **kw)


STRONG, NULLISH, NEG = np.array([5.0, 5.1, 4.9, 5.2]), np.array([0.1, -0.1, 0.2, -0.2]), -STRONG if False else np.array([-5.0, -5.1, -4.9, -5.2])


@pytest.mark.parametrize("core,prem,ctrl,refine,verdict,reason", [
    ({"c": STRONG}, {}, {}, {}, "confirmed", "every core rule holds"),
    ({"c": STRONG}, {}, {}, {"r": STRONG}, "refined", "refined by r"),
    ({"c": STRONG}, {}, {}, {"r": NULLISH}, "confirmed", ""),
    ({"c": NEG}, {}, {}, {}, "not reproduced", "reversed: c"),
    ({"c": NEG}, {}, {"k": NULLISH}, {}, "open", "control failed: k"),
    ({"c": NEG}, {"p": NULLISH}, {}, {}, "open", "premise not met: p"),
    ({"c": STRONG}, {"p": NEG}, {}, {}, "open", "untestable: c"),
    ({"c": NULLISH}, {}, {}, {}, "open", "unresolved: c"),
    ({"c": STRONG, "d": NULLISH}, {}, {}, {}, "open", "unresolved: d"),
    ({"c": STRONG, "d": NEG}, {"p": STRONG}, {"k": STRONG}, {}, "not reproduced", "reversed: d"),
])
def test_truth_table(core, prem, ctrl, refine, verdict, reason):
    evidence = {**core, **prem, **ctrl, **refine}
    rules = Rules(core=tuple(_o(k, k) for k in core), premises=tuple(_o(k, k) for k in prem),
                  controls=tuple(_o(k, k) for k in ctrl), refinements=tuple(_o(k, k) for k in refine))
    d = decide(rules, evidence)
    assert d.verdict == verdict
    assert reason in d.reason
    assert {j.role for j in d.judgements} <= set(Role)


def test_a_premise_gates_only_the_rules_that_require_it():
    rules = Rules(core=(_o("c", "c", requires=("p",)), _o("d", "d", requires=())), premises=(_o("p", "p"),))
    d = decide(rules, {"c": NEG, "d": NEG, "p": NULLISH})
    states = {j.name: j.state for j in d.judgements}
    assert states["c"] == State.UNTESTABLE and states["d"] == State.REVERSED
    assert d.verdict == "not reproduced"


def test_a_reversal_that_does_not_survive_holm_is_unresolved():
    # one marginal reversal among five core rules: significant alone (p < 0.05), not at 0.05 / 5
    marginal = np.array([-1.0, 0.1, -1.5, -0.5, -0.9, -0.6])
    rules = Rules(core=(_o("m", "m"),) + tuple(_o(f"s{k}", "s") for k in range(4)))
    alone = _o("m", "m").judge({"m": marginal})
    assert alone.state == State.REVERSED and alone.p_reversed > ALPHA / 5
    d = decide(rules, {"m": marginal, "s": STRONG})
    assert d.verdict == "open" and "unresolved: m" in d.reason
    assert "Holm" in next(j.sentence for j in d.judgements if j.name == "m")


def test_fingerprint_changes_with_any_rule_parameter_and_not_with_data():
    r1 = Rules(core=(Equivalence(name="e", says="s", a="a", margin=0.1),))
    r2 = Rules(core=(Equivalence(name="e", says="s", a="a", margin=0.11),))
    assert r1.fingerprint() != r2.fingerprint()
    assert decide(r1, {"a": STRONG}).fingerprint == decide(r1, {"a": NULLISH}).fingerprint == r1.fingerprint()


def test_noninferiority_power_matches_simulation_and_is_reported():
    rng = np.random.default_rng(33)
    rule = NonInferiority(name="ni", says="a >= -0.1", a="a", margin=0.1)
    sim = _rate([rule.judge({"a": rng.normal(scale=0.1, size=6)}).state for _ in range(2000)], {State.HOLDS})
    from toyvae.evidence import noninferiority_power

    exact = noninferiority_power(6, 0.0, 0.1, 0.1)
    assert abs(sim - exact) < 4 * np.sqrt(exact * (1 - exact) / 2000)
    j = NonInferiority(name="ni", says="s", a="a", margin=0.1, pilot_sd=0.21).judge({"a": np.array([0.2, -0.3, 0.1, -0.2, 0.0, 0.05])})
    assert j.state == State.UNRESOLVED and j.numbers["power"] < 0.5 and j.numbers["seeds_for_80pct"] > 6
