"""Bad input to the engine, the experiments and the models: a clear error naming the culprit, before any work."""

from __future__ import annotations

import numpy as np
import pytest

from toyvae.data.synthetic import HeteroscedasticCurve, SphereUniform
from toyvae.engine import distortion_target, fit, stack_knobs
from toyvae.experiments.bs20_train import Setting, VAEConfig, train
from toyvae.experiments import linear_vae as lv
from toyvae.experiments import neural_losses as nl
from toyvae.experiments import sphere as sp

CASES = [
    (lambda: VAEConfig(adam_eps=float("nan")), ValueError, "adam_eps"),
    (lambda: VAEConfig(lr=float("inf")), ValueError, "lr"),
    (lambda: VAEConfig(average_last=1.0), ValueError, "average_last"),
    (lambda: VAEConfig(steps=105, record_every=10), ValueError, "steps"),
    (lambda: VAEConfig(width=True), ValueError, "width"),
    (lambda: Setting.fixed(float("nan")), ValueError, "sigma"),
    (lambda: Setting.fixed(0.1, kl_weight=-1.0), ValueError, "kl_weight"),
    (lambda: train(VAEConfig(data_dim=3, steps=10, chunk=10), HeteroscedasticCurve(), [Setting.fixed(0.1)], [0],
                   progress=False), ValueError, "data_dim"),
    (lambda: train(VAEConfig(steps=10, chunk=10), HeteroscedasticCurve(), ["LS"], [0], progress=False), TypeError,
     "Setting"),
    (lambda: train({"steps": 10}, HeteroscedasticCurve(), [Setting.fixed(0.1)], [0], progress=False), TypeError,
     "VAEConfig"),
    (lambda: stack_knobs([]), ValueError, "settings"),
    (lambda: stack_knobs([{"a": 1.0}, {"b": 1.0}]), ValueError, "knobs"),
    (lambda: distortion_target(lv.linear_program(2, 2, 8, 10, 1e-2, 1.0, True), lam_init=2.0), ValueError,
     "lam_min <= lam_init"),
    (lambda: lv.LinearVAEConfig(steps=0), ValueError, "steps"),
    (lambda: lv.LinearVAEConfig(final_fraction=0.0), ValueError, "final_fraction"),
    (lambda: lv.TargetedConfig(lambda_init=1.5), ValueError, "lambda_init"),
    (lambda: lv.TargetedConfig(model_learning_rate=float("nan")), ValueError, "model_learning_rate"),
    (lambda: lv.train(np.eye(2), np.array([np.eye(3)]), np.array([1.0])), ValueError, "Gs"),
    (lambda: lv.train(np.ones(3), np.array([np.eye(3)]), np.array([1.0])), ValueError, "Sigma"),
    (lambda: lv.train(np.eye(2), np.array([np.eye(2)]), np.array([1.0]), W_init=np.eye(3)), ValueError, "W_init"),
    (lambda: lv.train_distortion_targeted(np.eye(2), [-0.1]), ValueError, "gammas"),
    (lambda: nl.NeuralConfig(learning_rate=0.0), ValueError, "learning_rate"),
    (lambda: nl.NeuralConfig(seeds=()), ValueError, "seeds"),
    (lambda: nl.train({"beta": [0.3]}), ValueError, "keys"),
    (lambda: nl.train({"lam_feature": [0.7], "lam_adversarial": [0.5], "beta": [0.3], "geco": [0.0],
                       "rate_target": [3.0]}), ValueError, "sum"),
    (lambda: sp.train_sphere(1, [0.5]), ValueError, "D"),
    (lambda: sp.train_sphere(3, []), ValueError, "sigmas"),
    (lambda: sp.train_sphere(3, [0.5], seeds=0), ValueError, "seeds"),
    (lambda: sp.train_sphere(3, [0.5], capacity=sp.Capacity(steps=100)), ValueError, "steps"),
    (lambda: SphereUniform(3, -1.0), ValueError, "radius"),
    (lambda: fit(lv.linear_program(2, 2, 8, 10, 1e-2, 1.0, True), {"G": np.ones((1, 2, 2)), "beta": np.ones(1)},
                 [0], {"chol": np.eye(2)}, steps=10, chunk=10, stop_after=0, progress=False), ValueError, "stop_after"),
]


@pytest.mark.parametrize("make, error, match", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_bad_input_is_named(make, error, match):
    with pytest.raises(error, match=match):
        make()
