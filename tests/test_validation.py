"""Bad input to every public function of ``toyvae.theory.{hypersphere, linear_gaussian, likelihoods, bessel}``.

Each row of the table names a function, good arguments, and for each checked parameter its kind;
each kind brings its bad values (sigma <= 0, R <= 0, D not an integer >= 2, beta <= 0, negative c,
target <= 0, NaN, infinity). The error must be a ``ValueError`` whose message starts with the name
of the parameter.
"""

from __future__ import annotations

import numpy as np
import pytest

from toyvae.theory import bessel, hypersphere, likelihoods, linear_gaussian

NAN, INF = float("nan"), float("inf")
BAD = {
    "positive": [0.0, -1.0, NAN, INF, -INF],
    "nonnegative": [-1e-3, NAN, INF],
    "finite": [NAN, INF, -INF],
    "dimension": [1, 0, -3, 2.5, NAN, INF, True],  # integer >= 2
    "dimension1": [0, -3, 2.5, NAN, INF, True],  # integer >= 1 (likelihoods accept D = 1)
    "probability": [-0.1, 1.1, NAN],
    "order": [-0.75, NAN, INF],  # Bessel order nu >= -1/2
}

W, G = np.ones((3, 2)), np.eye(3)
TABLE = [
    # (function, good keyword arguments, {parameter: kind})
    (hypersphere.log_marginal, dict(r=0.5, R=1.0, sigma=0.3, D=3),
     dict(r="nonnegative", R="positive", sigma="positive", D="dimension")),
    (hypersphere.log_likelihood, dict(r=0.5, R=1.0, sigma=0.3, D=3),
     dict(r="nonnegative", R="positive", sigma="positive", D="dimension")),
    (hypersphere.log_marginal_derivative, dict(r=0.5, R=1.0, sigma=0.3, D=3),
     dict(r="nonnegative", R="positive", sigma="positive", D="dimension")),
    (hypersphere.sufficient_threshold, dict(R=1.0, D=3), dict(R="positive", D="dimension")),
    (hypersphere.sharp_threshold, dict(R=1.0, D=3), dict(R="positive", D="dimension")),
    (hypersphere.optimal_radius, dict(R=1.0, sigma=0.3, D=3), dict(R="positive", sigma="positive", D="dimension")),
    (linear_gaussian.g, dict(s=0.5), dict(s="positive")),
    (linear_gaussian.kl_standard_normal, dict(mu=np.zeros(2), s=np.ones(2)), dict(mu="finite", s="positive")),
    (linear_gaussian.metric_coefficients, dict(W=W, G=G), dict(W="finite", G="finite")),
    (linear_gaussian.expected_distortion, dict(x=np.zeros(3), mu=np.zeros(2), s=np.ones(2), W=W, G=G),
     dict(x="finite", mu="finite", s="nonnegative", W="finite", G="finite")),
    (linear_gaussian.optimal_posterior_variance, dict(c=1.0, beta=1.0), dict(c="nonnegative", beta="positive")),
    (linear_gaussian.variance_kl, dict(s=np.ones(2)), dict(s="positive")),
    (linear_gaussian.optimal_variance_kl, dict(c=np.ones(2), beta=1.0), dict(c="nonnegative", beta="positive")),
    (linear_gaussian.beta_for_variance_kl, dict(c=np.ones(2), target=0.5), dict(c="nonnegative", target="positive")),
    (linear_gaussian.posterior_anisotropy, dict(s=np.ones(2)), dict(s="positive")),
    (likelihoods.gaussian_nll, dict(x=np.zeros(2), mean=np.zeros(2), sigma=1.0),
     dict(x="finite", mean="finite", sigma="positive")),
    (likelihoods.bernoulli_nll, dict(x=np.zeros(2), logits=np.zeros(2)), dict(x="probability", logits="finite")),
    (likelihoods.squared_error_weight, dict(sigma=1.0), dict(sigma="positive")),
    (likelihoods.sigma_for_squared_error, dict(reduction="mean", D=4, weight=1.0),
     dict(D="dimension1", weight="positive")),
    (likelihoods.sigma_for_kl_weight, dict(sigma=1.0, lam=2.0), dict(sigma="positive", lam="positive")),
    (likelihoods.optimal_scalar_sigma, dict(squared_error=1.0, D=4), dict(squared_error="positive", D="dimension1")),
    (likelihoods.profiled_gaussian_nll, dict(mse=1.0, D=4), dict(mse="positive", D="dimension1")),
    (bessel.log_normalised_bessel_i, dict(nu=1.0, a=2.0), dict(nu="order", a="nonnegative")),
    (bessel.log_normalised_bessel_i_step, dict(nu=1.0, a=2.0), dict(nu="order", a="nonnegative")),
    (bessel.log_bessel_i, dict(nu=1.0, a=2.0), dict(nu="order", a="positive")),
    (bessel.bessel_i_ratio, dict(nu=1.0, a=2.0), dict(nu="order", a="nonnegative")),
]

CASES = [
    pytest.param(fn, good, name, bad, id=f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}-{name}={bad!r}")
    for fn, good, kinds in TABLE
    for name, kind in kinds.items()
    for bad in BAD[kind]
]


@pytest.mark.parametrize(("fn", "good", "name", "bad"), CASES)
def test_bad_input_raises_value_error_naming_the_parameter(fn, good, name, bad):
    args = dict(good)
    base = np.asarray(good[name])
    # put the bad value into an array argument too (one element), so array checks are exercised
    args[name] = bad if base.ndim == 0 else np.where(np.arange(base.size).reshape(base.shape) == 0, bad, base)
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        fn(**args)


@pytest.mark.parametrize(("fn", "good", "kinds"), [pytest.param(*row, id=row[0].__name__) for row in TABLE])
def test_good_input_passes(fn, good, kinds):
    out = fn(**good)
    assert np.all(np.isfinite(np.asarray(out if not isinstance(out, tuple) else out[0], dtype=float)))


def test_table_covers_every_public_function():
    listed = {(fn.__module__, fn.__name__) for fn, _, _ in TABLE}
    for module in (hypersphere, linear_gaussian, likelihoods, bessel):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not isinstance(obj, type):
                assert (module.__name__, name) in listed, f"{module.__name__}.{name} has no row"


def test_non_numeric_input():
    with pytest.raises(ValueError, match="^sigma"):
        hypersphere.log_marginal(1.0, 1.0, "wide", 3)
    with pytest.raises(ValueError, match="^D"):
        hypersphere.optimal_radius(1.0, 0.1, np.array([True, False]))


# --- the shared helpers themselves (toyvae._validate) ---------------------------------------------


def test_dimension_is_exact_up_to_the_int64_limit():
    from toyvae import _validate

    # Python ints and int64 arrays are compared as integers: 2**63 - 1 survives, 2**63 does not
    assert _validate.dimension("D", 2**63 - 1) == 2**63 - 1
    assert _validate.dimension("D", [2**63 - 1, 3]).tolist() == [2**63 - 1, 3]
    assert _validate.scalar("D", _validate.dimension("D", 2**63 - 1)) == 2**63 - 1  # an int, not a rounded float
    for bad in (2**63, np.uint64(2**63), 2**70, 1e300, 2.0**63, np.True_, np.array([True])):
        with pytest.raises(ValueError, match=r"^D must be an integer in \[2, 2\*\*63 - 1\]"):
            _validate.dimension("D", bad)


def test_non_numbers_are_refused_even_when_numpy_would_parse_them():
    from toyvae import _validate

    for bad in ("1.5", b"2", None, 1 + 2j, np.array([1 + 0j]), ["1", "2"]):
        with pytest.raises(ValueError, match=r"^x must be a real number or array of them"):
            _validate.as_finite("x", bad)


def test_seed_flag_scalar_and_broadcast_helpers():
    from toyvae import _validate

    assert _validate.seed("seed", np.int64(3)) == 3
    for bad in (-1, 2.5, True, None, "0"):
        with pytest.raises(ValueError, match=r"^seed must be a non-negative integer"):
            _validate.seed("seed", bad)
    assert _validate.flag("scale", np.True_) is True
    with pytest.raises(ValueError, match=r"^scale must be True or False"):
        _validate.flag("scale", 1)
    with pytest.raises(ValueError, match=r"^beta must be a scalar, got an array of shape \(2,\)"):
        _validate.scalar("beta", np.ones(2))
    assert _validate.broadcast_shape(r=np.ones(3), R=2.0) == (3,)
    with pytest.raises(ValueError, match=r"^r, R: shapes do not broadcast against each other \(r \(2,\), R \(3,\)\)"):
        _validate.broadcast_shape(r=np.ones(2), R=np.ones(3))
