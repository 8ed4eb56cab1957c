"""Pieces of the nonlinear neural-loss experiments that can be checked without training."""

import jax
import jax.numpy as jnp
import numpy as np

from toyvae.experiments import neural_losses as nl


def test_feature_network_is_one_lipschitz():
    F = nl.feature_matrix()
    assert F.shape == (112, 64) and abs(np.linalg.norm(F, 2) - 1.0) < 1e-12
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 5000, 64)) * rng.uniform(0.01, 3, size=(2, 5000, 1))
    phi = jax.vmap(lambda v: nl.features(v, jnp.asarray(F)))
    d_phi = np.sum((np.asarray(phi(jnp.asarray(x))) - np.asarray(phi(jnp.asarray(y)))) ** 2, 1)
    assert np.all(d_phi <= np.sum((x - y) ** 2, 1) * (1 + 1e-5))  # float32 rounding
    # constant patches have no edges
    assert np.allclose(np.asarray(nl.features(jnp.ones(64) * 3.0, jnp.asarray(F))), 0.0, atol=1e-6)


def test_surgery_monte_carlo_known_cases():
    rng = np.random.default_rng(1)
    # every posterior is the prior: I = 0, KL(q(z)||p) = 0, rate = 0
    r = nl.surgery_monte_carlo(np.zeros((200, 3)), np.ones((200, 3)), seed=0)
    assert abs(r["mutual_information"]) < 1e-12 and abs(r["aggregate_kl"]) < 1e-12 and r["rate_exact"] == 0.0
    # well separated, narrow posteriors: I -> log N (each z identifies its x); bound 4 se
    mu = rng.normal(size=(100, 4)) * 20.0
    r = nl.surgery_monte_carlo(mu, np.full((100, 4), 1e-4), seed=0)
    assert abs(r["mutual_information"] - np.log(100)) < 1e-3
    assert abs(r["rate_mc"] - r["rate_exact"]) < 4 * r["rate_mc_se"]


def test_neural_loss_training_stops_on_nan():
    """The patch VAE (feature, adversarial and GECO settings) goes through the engine's non-finite guard."""
    import pytest

    from toyvae.engine import NonFiniteLossError

    settings = {"lam_feature": [0.5], "lam_adversarial": [0.0], "beta": [0.3], "geco": [1.0], "rate_target": [3.0]}
    config = nl.NeuralConfig(steps=100, batch=8, learning_rate=1e6, n_train=200, n_eval=10, seeds=(0,))
    with pytest.raises(NonFiniteLossError, match="seed 0"):
        nl.train(settings, config)
