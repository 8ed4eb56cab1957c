"""The sympy derivations in ``proofs/``: each ``derive()`` asserts its own steps; here we check that they run,
serve the right claims, and that the lambdified results agree with the ``toyvae.theory`` functions."""

import importlib

import pytest
import sympy

from toyvae.proofs._derivation import Derivation, Steps

# module -> (claim ids it must serve, tolerance on check_against_library(), reason for the tolerance)
_EXACT = "exact closed forms on both sides in float64; rounding is ~1e-14, the margin covers cancellation"
PROOFS = {
    "bs20_t1": (("BS20.T1",), 1e-6,
                "includes the curvature vs a finite difference 2 f(h) / h^2 with h = 1e-4 sigma, "
                "whose truncation error is O(h^2) ~ 1e-8 of 1/sigma^2"),
    "bs20_t1_sharp": (("BS20.T1-sharp",), 1e-10,
                      "Bessel ratios from scipy.special.ive vs the library's own log-space route: ~1e-13 relative"),
    "bs20_r1": (("BS20.R1",), 1e-6, "curvature vs a finite difference with O(h^2) ~ 1e-8 truncation"),
    "bs20_f2": (("BS20.F2",), 1e-10, _EXACT),
    "bs20_s32": (("BS20.S32",), 1e-10, _EXACT),
    "bs20_s32_mse": (("BS20.S32-mse",), 1e-10, _EXACT),
    "lvae_optimum": (("BS20.L-VAE",), 1e-10, _EXACT),
    "nl26_kl": (("NL26.KL",), 1e-10, _EXACT),
    "nl26_e44": (("NL26.E44",), 1e-10, _EXACT),
    "nl26_t46": (("NL26.T46",), 1e-10, _EXACT),
    "nl26_iso": (("NL26.Iso",), 1e-10, _EXACT),
    "nl26_t41": (("NL26.T41",), 1e-6,
                 "includes dV/dbeta vs a central difference of the library's V (h = 1e-5 beta), whose rounding "
                 "reaches ~1e-8 relative at beta = 0.01"),
    "sl_sigma": (("SL.Sigma",), 1e-10, _EXACT),
    "qa1": (("QA.1",), 1e-10, _EXACT),
}


@pytest.mark.parametrize("name", sorted(PROOFS))
def test_derivation_runs_and_serves_its_claims(name):
    module = importlib.import_module(f"toyvae.proofs.{name}")
    d = module.derive()  # its asserted steps are the checks
    assert isinstance(d, Derivation)
    assert d.name == name
    for claim_id in PROOFS[name][0]:
        assert claim_id in d.claim_ids
    assert len(d.steps) >= 3 and all(isinstance(s, str) and s for s in d.steps)
    assert d.results and all(isinstance(v, sympy.Basic) for v in d.results.values())


@pytest.mark.parametrize("name", sorted(PROOFS))
def test_symbolic_results_match_library(name):
    module = importlib.import_module(f"toyvae.proofs.{name}")
    _, tolerance, _reason = PROOFS[name]
    assert module.check_against_library() < tolerance


def test_a_false_step_fails():
    """The step checker must be able to fail (it is what every derivation relies on)."""
    x = sympy.Symbol("x", positive=True)
    steps = Steps()
    steps.equal(sympy.log(x**2), 2 * sympy.log(x), "log x^2 = 2 log x for x > 0")
    with pytest.raises(AssertionError):
        steps.equal(sympy.log(x**2), sympy.log(x), "a wrong step")
    with pytest.raises(AssertionError):
        steps.holds(False, "a wrong condition")
    with pytest.raises(AssertionError):
        steps.numeric(1e-3, 1e-6, "a failed spot-check")


def test_r1_remark_is_contradicted_in_the_window():
    """BS20's remark puts a local minimum at r = 0 for R > sigma sqrt(D - 1); the curvature says otherwise."""
    from toyvae.proofs import bs20_r1

    res = bs20_r1.derive().results
    sigma, D = sympy.symbols("sigma D", positive=True)
    assert sympy.simplify(res["curvature_mid_window"] + 1 / (2 * D * sigma**2)) == 0
    assert float(res["curvature_mid_window"].subs({sigma: 1, D: 3})) < 0


def test_library_check_detects_a_wrong_library(monkeypatch):
    """check_against_library must flag a library that departs from the derivation (here eq. 46 without its 2)."""
    from toyvae.proofs import nl26_t46
    from toyvae.theory import linear_gaussian

    monkeypatch.setattr(linear_gaussian, "optimal_posterior_variance", lambda c, beta: beta / (beta + c))
    assert nl26_t46.check_against_library() > 0.1


# --- the closed-form and symbolic claims: rules decide from recorded evidence, and a saved row re-judges ---

THEORY_VERDICTS = {"BS20.T1": "refined", "BS20.T1-sharp": "confirmed", "BS20.R1": "not reproduced",
                   "BS20.F2": "confirmed", "BS20.S32-mse": "confirmed", "NL26.T46": "confirmed",
                   "NL26.Iso": "confirmed", "NL26.T41": "confirmed", "SL.Sigma": "confirmed", "QA.1": "confirmed"}


@pytest.fixture(scope="module")
def theory_rows():
    import json

    from toyvae.claims import run_claim, select

    return {c.id: json.loads(json.dumps(run_claim(c).to_json())) for c in select(list(THEORY_VERDICTS))}


def test_theory_claims_are_decided_by_rules(theory_rows):
    from toyvae.claims.registry import registered

    for cid, verdict in THEORY_VERDICTS.items():
        c, row = registered()[cid], theory_rows[cid]
        assert c.rules is not None and c.plot is None, cid
        assert c.kind in ("symbolic", "closed form"), cid
        assert row["verdict"] == row["decision"]["verdict"] == verdict, cid
        assert row["evidence"] and row["rule_fingerprint"] and row["rules"], cid


def test_saved_theory_rows_rejudge_to_the_same_verdict(theory_rows):
    from toyvae.claims.registry import rejudge

    for cid, row in theory_rows.items():
        decision = rejudge(row)
        assert decision.verdict == row["verdict"] and decision.fingerprint == row["rule_fingerprint"], cid


def test_theory_rules_can_give_every_other_verdict(theory_rows):
    """The rules are not vacuous: altered evidence moves the verdict as the truth table says."""
    from toyvae.claims.registry import rejudge

    def judged(cid, **changes):
        row = dict(theory_rows[cid])
        row["evidence"] = {**row["evidence"], **changes}
        return rejudge(row).verdict

    r1 = theory_rows["BS20.R1"]["evidence"]
    assert judged("BS20.R1", curvature_window=[abs(v) for v in r1["curvature_window"]]) == "confirmed"
    assert judged("BS20.R1", curvature_fd_rel_err=[[1.0, 1.0]]) == "open"  # the control fails: no reversal counts
    assert judged("BS20.T1", located_rel_to_sharp=[0.1], window_quadrature_gain=[0.5]) == "confirmed"
    assert judged("BS20.T1", max_gain_above_sufficient=[1e-3]) == "not reproduced"
    assert judged("BS20.S32-mse", **{"spread_sigma=1": 0.0}) == "open"  # negative control: a wrong sigma is flat
    assert judged("NL26.T41", sympy_steps=None) == "not reproduced"  # a failed derivation step (NaN in the JSON)
    assert judged("QA.1", bce_rel_max=1e-3) == "not reproduced"
