"""The engine's one loop (toyvae.engine.fit) on tiny programs: contract, guard, checkpoints, layouts, targets.

Every kind of model of the package is trained here through ``fit`` for a few steps (the MLP VAE,
the sphere VAE, the linear VAE, the distortion-targeted linear VAE and the patch VAE with its
discriminator and GECO rule), and each resumes from a checkpoint bit-identically.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from toyvae.engine import (
    CheckpointError,
    NonFiniteLossError,
    Program,
    apply_models,
    batch_mean,
    distortion_target,
    fit,
    rate_target,
    stack_knobs,
)


# A least-squares "model" whose optimum is known: y = w . x with w* = knobs["w_true"]. ------------

def _ls_example(w, x, w_true, *, key):
    y = x @ w_true + 0.1 * jax.random.normal(key)
    err = (x @ w - y) ** 2
    return err, {"distortion": err, "rate": jnp.sum(w**2)}


def _ls_program(lr=0.05, post=None, probe=None, name="least_squares", sgd=False):
    def init(knobs, *, key):
        return 0.1 * jax.random.normal(key, knobs["w_true"].shape)

    def sample(knobs, shared, *, key):
        return jax.random.normal(key, (16, knobs["w_true"].shape[0]))

    def loss(w, x, knobs, *, key, step):
        return batch_mean(_ls_example, w, x, knobs["w_true"], key=key)

    def optimizer(knobs):
        rate = lr * knobs.get("lr_scale", 1.0)
        return optax.sgd(rate) if sgd else optax.adam(rate)

    return Program(name=name, init=init, sample=sample, loss=loss, optimizer=optimizer, post=post, probe=probe,
                   identity=(lr, sgd))


LS = _ls_program()
KNOBS = stack_knobs([{"w_true": [1.0, -2.0]}, {"w_true": [0.5, 0.5]}])


def _leaves_equal(a, b):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_fit_learns_and_reports_history_shapes():
    res = fit(LS, KNOBS, seeds=[0, 1, 2], steps=400, chunk=200, record_every=10, progress=False,
              names=["a", "b"])
    assert res.params.shape == (2, 3, 2)
    assert res.history["loss"].shape == (2, 3, 40)
    assert set(res.history) == {"loss", "distortion", "rate"}
    # the least-squares optimum (noise 0.1 per target, Adam's last steps): within 0.05 of w*
    np.testing.assert_allclose(res.params[0], np.broadcast_to([1.0, -2.0], (3, 2)), atol=0.05)
    np.testing.assert_allclose(res.params[1], np.broadcast_to([0.5, 0.5], (3, 2)), atol=0.05)
    assert res.index("b") == 1 and res.steps_run == 400
    assert res.window_mean("loss", 0.25).shape == (2, 3)


def test_common_random_numbers_and_determinism():
    """Same seed: same initial parameters and batches in every setting; same call: bit-identical."""
    probe = lambda w, knobs, shared, *, key: {"w0": w[0]}  # noqa: E731
    prog = _ls_program(probe=probe, name="probed")
    a = fit(prog, KNOBS, seeds=[5, 6], steps=20, chunk=10, progress=False)
    b = fit(prog, KNOBS, seeds=[5, 6], steps=20, chunk=10, progress=False)
    _leaves_equal(a.params, b.params)
    # the initial parameter (probe at step 0) depends on the seed only, not the setting
    np.testing.assert_array_equal(a.probes["w0"][0, :, 0], a.probes["w0"][1, :, 0])
    assert a.probes["w0"][0, 0, 0] != a.probes["w0"][0, 1, 0]
    np.testing.assert_array_equal(a.probe_steps, [0, 10, 20])


def test_parameter_averaging_is_the_mean_of_the_trajectory():
    """average_from = t0 keeps mean(params after steps t0..T-1), checked against a run probed every step."""
    probe = lambda w, knobs, shared, *, key: {"w": w}  # noqa: E731
    prog = _ls_program(probe=probe, name="probed_every_step")
    res = fit(prog, KNOBS, seeds=[0], steps=30, chunk=1, record_every=1, average_from=20, progress=False)
    trajectory = res.probes["w"][:, :, 1:]  # params after steps 0..29
    # float32 running mean vs float64 mean of the same ten numbers: a few ulps of O(1) values
    np.testing.assert_allclose(np.asarray(res.averaged), trajectory[:, :, 20:].mean(axis=2), rtol=1e-6, atol=1e-7)


def test_nan_guard_names_setting_seed_and_step():
    # plain gradient descent with a step far above 2/curvature: |w| grows ~100x per step to overflow
    blow_up = _ls_program(lr=50.0, name="diverging", sgd=True)
    knobs = stack_knobs([{"w_true": [1.0, -2.0], "lr_scale": 1e-3}, {"w_true": [0.5, 0.5], "lr_scale": 1.0}])
    with pytest.raises(NonFiniteLossError, match=r"setting 'big', seed 3, at step \d+"):
        fit(blow_up, knobs, seeds=[3, 4], steps=200, chunk=50, names=["small", "big"], progress=False)


def test_nan_guard_catches_parameters_turned_non_finite_by_post():
    post = lambda w, aux, knobs, *, step: jnp.where(step >= 7, jnp.nan, w)  # noqa: E731
    with pytest.raises(NonFiniteLossError, match=r"(non-finite parameters in setting '0', seed 0|step 8)"):
        fit(_ls_program(post=post, name="poisoned"), KNOBS, seeds=[0], steps=20, chunk=10, progress=False)


def test_checkpoint_resume_is_bit_identical_and_corrupt_files_are_named(tmp_path):
    probe = lambda w, knobs, shared, *, key: {"norm": jnp.linalg.norm(w)}  # noqa: E731
    prog = _ls_program(probe=probe, name="resumable")
    kw = dict(steps=60, chunk=20, average_from=30, progress=False)
    whole = fit(prog, KNOBS, [0, 1], **kw)
    path = tmp_path / "run.npz"
    part = fit(prog, KNOBS, [0, 1], checkpoint=path, stop_after=20, **kw)
    assert part.steps_run == 20 and path.exists()
    resumed = fit(prog, KNOBS, [0, 1], checkpoint=path, **kw)
    assert resumed.steps_run == 40
    _leaves_equal((whole.params, whole.averaged), (resumed.params, resumed.averaged))
    np.testing.assert_array_equal(whole.history["loss"], resumed.history["loss"])
    np.testing.assert_array_equal(whole.probes["norm"], resumed.probes["norm"])
    # a different run (other seeds) neither picks the checkpoint up nor overwrites it: refused, named
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match=r"run\.npz belongs to another run: the seeds"):
        fit(prog, KNOBS, [0, 2], checkpoint=path, **kw)
    assert path.read_bytes() == before
    path.write_bytes(b"not a zip file")
    with pytest.raises(CheckpointError, match=r"run\.npz.*delete it"):
        fit(prog, KNOBS, [0, 2], checkpoint=path, **kw)


def test_apply_models_evaluates_every_model_with_the_same_key():
    res = fit(LS, KNOBS, seeds=[0, 1], steps=10, chunk=10, progress=False)

    def err(w, knobs, shared, *, key):
        x = jax.random.normal(key, (5, 2))
        return {"err": jnp.mean((x @ w - x @ knobs["w_true"]) ** 2), "x0": x[0, 0]}

    out = apply_models(err, res)
    assert out["err"].shape == (2, 2)
    assert np.all(out["x0"] == out["x0"][0, 0])  # paired: the same points for every model


@pytest.mark.parametrize("bad, match", [
    (dict(steps=0), "steps"), (dict(chunk=7), "record_every"), (dict(layout="diagonal"), "layout"),
    (dict(average_from=100), "average_from"), (dict(names=["a"]), "names"), (dict(names=["a", "a"]), "names"),
])
def test_bad_arguments_are_named_before_any_work(bad, match):
    kw = dict(steps=100, chunk=10, record_every=10, progress=False)
    kw.update(bad)
    with pytest.raises(ValueError, match=match):
        fit(LS, KNOBS, [0], **kw)
    with pytest.raises(ValueError, match="seeds"):
        fit(LS, KNOBS, [], steps=10, chunk=10, progress=False)
    with pytest.raises(ValueError, match="seeds"):
        fit(LS, KNOBS, [1, 1], steps=10, chunk=10, progress=False)
    with pytest.raises(TypeError, match="Program"):
        fit(lambda: None, KNOBS, [0], steps=10, chunk=10, progress=False)
    with pytest.raises(ValueError, match="leading"):
        fit(LS, {"w_true": jnp.ones((2, 2)), "lr_scale": jnp.ones(3)}, [0], steps=10, chunk=10, progress=False)


def test_program_contract_is_checked():
    with pytest.raises(TypeError, match="loss"):
        Program(name="x", init=lambda k, *, key: 0, sample=lambda *a, **k: 0, loss=None, optimizer=lambda k: None)
    with pytest.raises(ValueError, match="name"):
        Program(name="", init=len, sample=len, loss=len, optimizer=len)
    with pytest.raises(ValueError, match="stack_knobs|shapes"):
        stack_knobs([{"a": [1.0, 2.0]}, {"a": [1.0]}])


# Targets as components ------------------------------------------------------------------------

def test_distortion_target_gradients_are_mb_eqs_9_and_10():
    """d/d model = grad of (1-lam) R + lam D; d/d lam = -(D - gamma) (ascent on lam (D - gamma))."""
    prog = distortion_target(LS)
    knobs = {"w_true": jnp.array([1.0, -2.0]), "gamma": jnp.float32(0.3)}
    params = prog.init(knobs, key=jax.random.PRNGKey(0))
    params = {"model": params["model"], "dual": jnp.float32(0.7)}
    x = LS.sample(knobs, (), key=jax.random.PRNGKey(1))
    key = jax.random.PRNGKey(2)
    grads, aux = jax.grad(lambda p: prog.loss(p, x, knobs, key=key, step=0), has_aux=True)(params)
    _, base_aux = LS.loss(params["model"], x, knobs, key=key, step=0)
    np.testing.assert_allclose(grads["dual"], -(base_aux["distortion"] - 0.3), rtol=1e-6)

    def eq9(w):
        _, a = LS.loss(w, x, knobs, key=key, step=0)
        return 0.3 * a["rate"] + 0.7 * a["distortion"]

    np.testing.assert_allclose(grads["model"], jax.grad(eq9)(params["model"]), rtol=1e-5, atol=1e-7)
    assert float(aux["beta_equivalent"]) == pytest.approx(0.3 / 0.7, rel=1e-6)
    # the projection keeps lam inside [1e-4, 0.9999]
    clipped = prog.post({"model": params["model"], "dual": jnp.float32(2.0)}, aux, knobs, step=0)
    assert float(clipped["dual"]) == pytest.approx(0.9999, rel=1e-7)


def test_distortion_target_reaches_its_target_and_is_resumable(tmp_path):
    prog = distortion_target(LS, lam_lr=1e-2)
    knobs = stack_knobs([{"w_true": [1.0, -2.0], "gamma": 0.5}, {"w_true": [1.0, -2.0], "gamma": 1.0}])
    kw = dict(steps=1500, chunk=500, average_from=1000, progress=False)
    res = fit(prog, knobs, [0, 1, 2], **kw)
    d = res.window_mean("distortion", 0.3)
    # the batch distortion of 16 points has a relative spread ~0.35; 100 blocks of 10 steps: ~5%
    np.testing.assert_allclose(d, [[0.5] * 3, [1.0] * 3], rtol=0.15)
    path = tmp_path / "dual.npz"
    fit(prog, knobs, [0, 1, 2], checkpoint=path, stop_after=500, **kw)
    resumed = fit(prog, knobs, [0, 1, 2], checkpoint=path, **kw)
    _leaves_equal((res.params, res.averaged), (resumed.params, resumed.averaged))


def test_rate_target_rule_moves_log_beta_only_where_active():
    def loss(w, x, knobs, *, key, step):
        value, aux = batch_mean(_ls_example, w, x, knobs["w_true"], key=key)
        return value + knobs["beta"] * aux["rate"], aux

    base = Program(name="ls_beta", init=LS.init, sample=LS.sample, loss=loss, optimizer=LS.optimizer)
    prog = rate_target(base, active_knob="on", eta=0.1)
    knobs = stack_knobs([{"w_true": [1.0, -2.0], "beta": 0.5, "rate_target": 1.0, "on": 1.0},
                         {"w_true": [1.0, -2.0], "beta": 0.5, "rate_target": 1.0, "on": 0.0}])
    res = fit(prog, knobs, [0], steps=2000, chunk=500, progress=False)
    beta = np.exp(np.asarray(res.params["dual"]))
    assert beta[1, 0] == pytest.approx(0.5, rel=1e-6)  # inactive: beta untouched
    # active: the rate |w|^2 is held near 1 (the unconstrained optimum has |w|^2 = 5)
    assert abs(res.window_mean("rate", 0.2)[0, 0] - 1.0) < 0.1
    assert beta[0, 0] > 0.5


# Every model of the package through fit, and bit-identical resume for each -------------------------

def _programs():
    from toyvae.experiments import linear_vae as lv
    from toyvae.experiments import neural_losses as nl
    from toyvae.experiments import sphere as sp
    from toyvae.data.synthetic import HeteroscedasticCurve
    from toyvae.experiments.bs20_train import VAEConfig, settings_knobs, vae_program, Setting

    cfg = VAEConfig(width=8, depth=1, steps=40, chunk=20)
    mlp = (vae_program(cfg, HeteroscedasticCurve()), settings_knobs([Setting.fixed(0.1), Setting.scalar(),
                                                                     Setting.vector()], 40), ())
    cap = sp.Capacity(width=8, depth=1, steps=48, batch=16)
    sphere = (sp.sphere_program(3, 1.7, cap), {"mode": jnp.array([0, 1]), "sigma": jnp.array([0.5, 0.5]),
                                               "warm_sigma": jnp.array([0.3, 0.5])}, ())
    chol = {"chol": jnp.asarray(np.diag([1.0, 0.5, 0.2]), jnp.float32)}
    lin = lv.linear_program(3, 3, 32, 40, 1e-2, 0.1, True)
    linear = (lin, {"G": jnp.stack([jnp.eye(3)] * 2), "beta": jnp.array([0.1, 1.0])}, chol)
    targeted = (distortion_target(lv.linear_program(3, 3, 32, 40, 1e-2, 1.0, True)),
                {"G": jnp.stack([jnp.eye(3)] * 2), "beta": jnp.ones(2), "gamma": jnp.array([0.2, 0.5])}, chol)
    F = jnp.asarray(nl.feature_matrix(), jnp.float32)
    patch = (nl.patch_program(8, 1e-3),
             {"lam_feature": jnp.array([0.0, 0.5]), "lam_adversarial": jnp.array([0.5, 0.0]),
              "beta": jnp.array([0.3, 0.3]), "geco": jnp.array([0.0, 1.0]), "rate_target": jnp.array([5.0, 5.0]),
              "F": jnp.stack([F, F])},
             {"data": jnp.asarray(np.random.default_rng(0).normal(size=(100, 64)), jnp.float32)})
    return {"mlp_vae": mlp, "sphere_vae": sphere, "linear_vae": linear, "distortion_targeted": targeted,
            "patch_vae_gan_geco": patch}


@pytest.mark.parametrize("kind", ["mlp_vae", "sphere_vae", "linear_vae", "distortion_targeted", "patch_vae_gan_geco"])
def test_every_model_trains_through_fit_and_resumes_bit_identically(kind, tmp_path):
    program, knobs, shared = _programs()[kind]
    steps = 48 if kind == "sphere_vae" else 40
    kw = dict(steps=steps, chunk=steps // 2, record_every=steps // 4, progress=False)
    whole = fit(program, knobs, [0, 1], shared, **kw)
    assert np.all(np.isfinite(whole.history["loss"]))
    path = tmp_path / f"{kind}.npz"
    fit(program, knobs, [0, 1], shared, checkpoint=path, stop_after=steps // 2, **kw)
    resumed = fit(program, knobs, [0, 1], shared, checkpoint=path, **kw)
    assert resumed.steps_run == steps // 2
    _leaves_equal(whole.params, resumed.params)
    np.testing.assert_array_equal(whole.history["loss"], resumed.history["loss"])


# Layouts ---------------------------------------------------------------------------------------

def test_data_layout_computes_the_same_function_on_two_devices():
    """One step under layout="data" (batch split over 2 CPU devices, gradients all-reduced) equals
    layout="models": loss and parameters after one step agree to float32 rounding."""
    code = textwrap.dedent("""
        import jax, numpy as np
        import toyvae
        from toyvae.engine import fit
        from toyvae.experiments.bs20_train import VAEConfig, Setting, settings_knobs, vae_program
        from toyvae.data.synthetic import HeteroscedasticCurve
        assert len(jax.devices()) == 2, jax.devices()
        cfg = VAEConfig(width=16, depth=1, steps=1, chunk=1, record_every=1, batch=64)
        prog = vae_program(cfg, HeteroscedasticCurve())
        knobs = settings_knobs([Setting.fixed(0.3), Setting.vector()], 1)
        a = fit(prog, knobs, [0, 1], steps=1, chunk=1, record_every=1, progress=False, layout="models")
        b = fit(prog, knobs, [0, 1], steps=1, chunk=1, record_every=1, progress=False, layout="data")
        # the loss at the initial parameters: one forward pass, summed in another order
        np.testing.assert_allclose(b.history["loss"], a.history["loss"], rtol=1e-5)
        # one Adam step moves each parameter by at most lr = 1e-3 (its first step is lr * g/(|g| + eps));
        # a float32 rounding of g changes that by far less than 1e-5 except where |g| ~ eps
        for x, y in zip(jax.tree_util.tree_leaves(a.params), jax.tree_util.tree_leaves(b.params)):
            assert np.max(np.abs(np.asarray(x) - np.asarray(y))) <= 2e-3 + 1e-6
            assert np.mean(np.abs(np.asarray(x) - np.asarray(y)) > 1e-5) < 0.01
        print("ok")
    """)
    env = dict(os.environ, JAX_NUM_CPU_DEVICES="2", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-3000:]


def test_models_layout_runs_no_cross_device_collective(tmp_path):
    """Under layout="models" every device trains its own models: nothing compiled by fit or by
    apply_models may hold a collective. On XLA:CPU a collective is a rendezvous of the devices'
    threads that aborts the process when one device is still busy 40 s later (an eager index into
    the models-sharded state once did this, and killed a benchmark on a loaded machine)."""
    code = textwrap.dedent("""
        import jax
        import toyvae
        from toyvae.engine import apply_models, fit
        from toyvae.experiments.bs20_train import VAEConfig, Setting, settings_knobs, vae_program
        from toyvae.data.synthetic import HeteroscedasticCurve
        assert len(jax.devices()) == 2, jax.devices()

        def lambda_free_fn(params, knobs, shared, *, key):  # a stable, hashable function of one model
            return sum(a.sum() for a in jax.tree_util.tree_leaves(params))

        cfg = VAEConfig(width=8, depth=1, steps=2, chunk=1, record_every=1, batch=16)
        prog = vae_program(cfg, HeteroscedasticCurve())
        knobs = settings_knobs([Setting.fixed(0.3), Setting.vector()], 1)
        # 6 models: even; 3 models: more than the devices and odd (fit pads the models axis itself)
        fit(prog, knobs, [0, 1, 2], steps=2, chunk=1, record_every=1, progress=False, layout="models")
        knobs = settings_knobs([Setting.fixed(0.3)], 1)
        res = fit(prog, knobs, [0, 1, 2], steps=2, chunk=1, record_every=1, progress=False, layout="models")
        apply_models(lambda_free_fn, res)
        print("ok")
    """)
    dump = tmp_path / "hlo"
    env = dict(os.environ, JAX_NUM_CPU_DEVICES="2", JAX_PLATFORMS="cpu",
               XLA_FLAGS=f"--xla_dump_to={dump} --xla_dump_hlo_as_text")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-3000:]
    modules = sorted(dump.glob("*after_optimizations.txt"))
    assert any("_run_chunk" in m.name for m in modules), [m.name for m in modules]  # the dump worked
    collectives = ("all-reduce", "all-gather", "all-to-all", "collective-permute", "reduce-scatter")
    offending = [m.name for m in modules if any(c in m.read_text() for c in collectives)]
    assert not offending, offending
