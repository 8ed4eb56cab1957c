"""The trained linear-Gaussian VAE (toyvae.experiments.linear_vae)."""

import jax
import numpy as np
import pytest

from toyvae.experiments import linear_vae as lv
from toyvae.theory import linear_gaussian as lg
from toyvae.theory import rate_distortion as rd


def test_example_loss_is_unbiased_for_the_closed_form():
    """Mean of the one-sample loss over many keys = eq. 44 + beta KL; bound 4 se (N = 40000)."""
    rng = np.random.default_rng(0)
    n, d, beta = 3, 2, 0.3
    params = lv.LinearVAE(A=rng.normal(size=(d, n)).astype(np.float32), log_s=np.array([-1.0, 0.5], np.float32),
                          W=rng.normal(size=(n, d)).astype(np.float32))
    B = rng.normal(size=(n, n))
    G = (B @ B.T / n + 0.1 * np.eye(n)).astype(np.float32)
    x = rng.normal(size=n).astype(np.float32)
    N = 40_000
    keys = jax.random.split(jax.random.PRNGKey(0), N)
    losses = np.asarray(jax.vmap(lambda k: lv.example_loss(params, x, G, beta, key=k)[0])(keys), np.float64)
    mu = params.A.astype(float) @ x
    s = np.exp(params.log_s.astype(float))
    exact = lg.expected_distortion(x, mu, s, params.W, G) + beta * lg.kl_standard_normal(mu, s).total
    assert abs(losses.mean() - exact) < 4 * losses.std() / np.sqrt(N)


def test_training_reaches_eq46_and_the_water_filling_optimum():
    n = 3
    Sigma = np.diag([2.0, 0.5, 0.1])
    Gs = np.array([np.eye(n), np.diag([0.5, 1.0, 2.0])])
    betas = np.array([0.1, 0.4])
    out = lv.train(Sigma, Gs, betas, lv.LinearVAEConfig(steps=2000, batch=128), seeds=[3])
    assert out.fit.history["loss"].shape == (2, 1, 200) and np.all(np.isfinite(out.fit.history["loss"]))
    params = lv.LinearVAE(*(a[:, 0] for a in out.params))
    for k in range(2):
        s = np.exp(params.log_s[k])
        c = lg.metric_coefficients(params.W[k], Gs[k])
        # Adam noise at the end of a cosine schedule: a few percent (see NL26.T46-trained)
        np.testing.assert_allclose(np.log(s), np.log(lg.optimal_posterior_variance(c, betas[k])), atol=0.1)
        parts = rd.linear_vae_parts(rd.LinearVAEParams(params.A[k], s, params.W[k]), Sigma, Gs[k])
        pt = rd.reverse_water_filling(rd.metric_weighted_spectrum(Sigma, Gs[k]), betas[k] / 2)
        value, optimum = parts.distortion + betas[k] * parts.rate, pt.distortion + betas[k] * pt.rate
        # a lower bound (rounding only) that 2000 Adam steps nearly reach; the variance-0.1 direction is slowest
        assert optimum - 1e-9 <= value <= optimum * 1.05


def test_fixed_decoder_stays_fixed():
    out = lv.train(np.eye(2), np.array([np.eye(2)]), np.array([0.5]),
                   lv.LinearVAEConfig(steps=50, batch=16, train_decoder=False), seeds=[0, 1], W_init=np.eye(2))
    np.testing.assert_array_equal(out.params.W[0, 0], np.eye(2))
    np.testing.assert_array_equal(out.params.W[0, 1], np.eye(2))


def test_nan_guard_stops_a_diverging_linear_vae():
    """A step size of 1e6 (issue 9: once returned NaN parameters silently) now stops with setting, seed and step."""
    from toyvae.engine import NonFiniteLossError

    with pytest.raises(NonFiniteLossError, match=r"setting '0', seed 0, at step \d+|non-finite parameters"):
        lv.train(np.eye(2), np.array([np.eye(2)]), np.array([0.5]),
                 lv.LinearVAEConfig(steps=100, batch=16, learning_rate=1e6, final_fraction=1.0), seeds=[0])


def test_sweep_helpers():
    C = lv.dct_basis(8)
    np.testing.assert_allclose(C.T @ C, np.eye(8), atol=1e-12)
    F = lv.difference_features(8)
    assert np.linalg.norm(F, 2) == pytest.approx(1.0, rel=1e-12)
    mu = np.array([1.0, 0.3, 0.01])
    beta = lv.matched_rate_beta(mu, 1.5)
    assert float(rd.reverse_water_filling(mu, beta / 2).rate) == pytest.approx(1.5, abs=1e-10)


def test_distortion_targeted_training_stops_on_nan():
    from toyvae.engine import NonFiniteLossError

    with pytest.raises(NonFiniteLossError, match="seed 0"):
        lv.train_distortion_targeted(np.eye(2), [0.5], lv.TargetedConfig(steps=100, model_learning_rate=1e6))


def test_bad_inputs():
    with pytest.raises(ValueError, match="betas"):
        lv.train(np.eye(2), np.array([np.eye(2)]), np.array([-1.0]))
    with pytest.raises(ValueError, match="Gs"):
        lv.train(np.eye(2), np.eye(2), np.array([1.0]))


@pytest.mark.parametrize(("Sigma", "why"), [
    (np.diag([1.0, -0.5]), "a negative variance"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), "indefinite (eigenvalues 3 and -1)"),
    (np.array([[1.0, 0.5], [0.0, 1.0]]), "not symmetric"),
])
def test_covariance_that_is_not_positive_semidefinite_is_named_before_any_work(Sigma, why, monkeypatch):
    """Before the fix: numpy's LinAlgError 'Matrix is not positive definite' from inside the Cholesky
    factorisation (or, for the non-symmetric one, a silent use of its lower triangle)."""
    monkeypatch.setattr(lv, "fit", lambda *a, **k: pytest.fail("trained although Sigma is not a covariance"))
    with pytest.raises(ValueError, match=r"^Sigma must be a symmetric positive semi-definite"):
        lv.train(Sigma, np.array([np.eye(2)]), np.array([1.0]))


def test_singular_covariance_is_still_accepted(monkeypatch):
    """Positive semi-definite with a zero variance is a covariance (the Cholesky adds a 1e-12 ridge)."""
    class Reached(Exception):
        pass

    def reached(*args, **kwargs):
        raise Reached

    monkeypatch.setattr(lv, "fit", reached)
    with pytest.raises(Reached):  # validation passed, training would start
        lv.train(np.diag([1.0, 0.0]), np.array([np.eye(2)]), np.array([1.0]))


@pytest.mark.parametrize(("Sigma", "why"), [
    (np.diag([1.0, -0.5]), "a negative variance"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), "indefinite (eigenvalues 3 and -1)"),
    (np.array([[1.0, 0.5], [0.0, 1.0]]), "not symmetric"),
])
def test_distortion_targeted_training_names_a_bad_covariance_before_any_work(Sigma, why, monkeypatch):
    """Before the fix: train_distortion_targeted handed any square Sigma to the Cholesky factorisation (a bare
    LinAlgError, or for the non-symmetric one a silent use of its lower triangle)."""
    monkeypatch.setattr(lv, "fit", lambda *a, **k: pytest.fail("trained although Sigma is not a covariance"))
    with pytest.raises(ValueError, match=r"^Sigma must be a symmetric positive semi-definite"):
        lv.train_distortion_targeted(Sigma, [0.1])


def test_distortion_targeted_training_accepts_a_singular_covariance(monkeypatch):
    class Reached(Exception):
        pass

    def reached(*args, **kwargs):
        raise Reached

    monkeypatch.setattr(lv, "fit", reached)
    with pytest.raises(Reached):
        lv.train_distortion_targeted(np.diag([1.0, 0.0]), [0.1])
