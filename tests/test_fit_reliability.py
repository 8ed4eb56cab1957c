"""Issue 22, the engine's part: no run resumes someone else's state, every bad input is named before work.

Each test failed before the fix (see the issue): a checkpoint of another program with the same name
and identity was resumed; one of other knobs was silently overwritten; an unwritable checkpoint path
failed after the first chunk; seeds 0 and 2**32 trained identical models; targets accepted nonsense.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from toyvae.engine import CheckpointError, Program, apply_models, distortion_target, fit, rate_target, stack_knobs
from toyvae.engine.checkpoint import code_hash


def _program(name="toy", lr=0.1, scale=1.0, identity=None, aux_keys=("distortion", "rate"), vector=False):
    def init(knobs, *, key):
        return {"w": jax.random.normal(key, (2,))}

    def sample(knobs, shared, *, key):
        return jax.random.normal(key, (4, 2))

    def loss(params, batch, knobs, *, key, step):
        d = jnp.mean((batch - params["w"]) ** 2) * scale
        r = jnp.sum(params["w"] ** 2)
        aux = {k: v for k, v in (("distortion", d), ("rate", r)) if k in aux_keys}
        value = d + knobs.get("beta", 1.0) * r
        return (jnp.stack([value, value]) if vector else value), aux

    return Program(name=name, init=init, sample=sample, loss=loss, optimizer=lambda knobs: optax.sgd(lr),
                   identity=identity)


ONE = {"beta": jnp.ones(1)}


def test_a_checkpoint_of_another_program_with_the_same_name_and_identity_is_refused(tmp_path):
    path = tmp_path / "run.npz"
    fit(_program(lr=0.1), ONE, [0], steps=20, chunk=10, record_every=10, checkpoint=path, progress=False,
        stop_after=10)
    other = _program(lr=0.1, scale=2.0)  # same name, same identity, another loss (a closure constant)
    other_code = Program(name="toy", init=other.init, sample=other.sample, loss=lambda *a, **k: other.loss(*a, **k),
                         optimizer=other.optimizer)
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match=str(path)) as err:
        fit(other_code, ONE, [0], steps=20, chunk=10, record_every=10, checkpoint=path, progress=False)
    assert "code" in str(err.value) or "configuration" in str(err.value)
    assert path.read_bytes() == before  # never overwritten


def test_a_checkpoint_written_with_other_knobs_is_refused_not_overwritten(tmp_path):
    path = tmp_path / "run.npz"
    program = _program()
    fit(program, ONE, [0], steps=20, chunk=10, record_every=10, checkpoint=path, progress=False, stop_after=10)
    before = path.read_bytes()
    with pytest.raises(CheckpointError, match="knobs"):
        fit(program, {"beta": jnp.full(1, 2.0)}, [0], steps=20, chunk=10, record_every=10, checkpoint=path,
            progress=False)
    assert path.read_bytes() == before
    with pytest.raises(CheckpointError, match="seeds"):
        fit(program, ONE, [1], steps=20, chunk=10, record_every=10, checkpoint=path, progress=False)
    resumed = fit(program, ONE, [0], steps=20, chunk=10, record_every=10, checkpoint=path, progress=False)
    assert resumed.steps_run == 10  # the matching run resumes


def test_the_code_hash_follows_the_code():
    a, b = _program(), _program()
    assert code_hash(a) == code_hash(b)  # same functions' module
    assert len(code_hash(a)) == 64


def test_checkpoint_writes_are_atomic_and_leave_no_temporary_file(tmp_path):
    path = tmp_path / "run.npz"
    fit(_program(), ONE, [0], steps=20, chunk=10, record_every=10, checkpoint=path, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz"]


@pytest.mark.parametrize("where", ["below_a_file", "a_folder", "unwritable"])
def test_a_bad_checkpoint_path_fails_before_any_training(tmp_path, where, monkeypatch):
    calls = []
    program = _program()
    counting = Program(name="count", init=lambda knobs, *, key: calls.append(1) or program.init(knobs, key=key),
                       sample=program.sample, loss=program.loss, optimizer=program.optimizer)
    if where == "below_a_file":
        (tmp_path / "file").write_text("x")
        path = tmp_path / "file" / "run.npz"
    elif where == "a_folder":
        path = tmp_path
    else:
        if os.geteuid() == 0:
            pytest.skip("root can write in a read-only folder")
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
        path = folder / "run.npz"
    with pytest.raises(CheckpointError, match="checkpoint"):
        fit(counting, ONE, [0], steps=10, chunk=10, record_every=10, checkpoint=path, progress=False)
    assert not calls  # nothing was even initialised


@pytest.mark.parametrize("seeds, match", [([0, 2**32], "2\\*\\*32"), ([-1], "seed"), (None, "seeds"),
                                          (["a"], "seed"), ([True], "seed")])
def test_seeds_outside_32_bits_or_not_integers_are_rejected(seeds, match):
    with pytest.raises((ValueError, TypeError), match=match):
        fit(_program(), ONE, seeds, steps=10, chunk=10, record_every=10, progress=False)


def test_checkpoint_must_be_a_path():
    with pytest.raises(TypeError, match="checkpoint must be a path"):
        fit(_program(), ONE, [0], steps=10, chunk=10, record_every=10, checkpoint=123, progress=False)


def test_a_loss_returning_a_vector_is_named():
    with pytest.raises(ValueError, match="loss must return a scalar"):
        fit(_program(vector=True), ONE, [0], steps=10, chunk=10, record_every=10, progress=False)


def test_stack_knobs_names_bad_input():
    with pytest.raises(TypeError, match="list of dicts"):
        stack_knobs({"beta": 1.0})
    with pytest.raises(TypeError, match="knob 'beta' of setting 1"):
        stack_knobs([{"beta": 1.0}, {"beta": "high"}])
    with pytest.raises(TypeError, match="setting 0 must be a dict"):
        stack_knobs([1.0])


def test_apply_models_names_a_wrong_object():
    with pytest.raises(TypeError, match="Fit returned by fit"):
        apply_models(lambda p, k, s, *, key: 0.0, {"params": 1})


@pytest.mark.parametrize("gamma", [0.0, -1.0, np.inf])
def test_distortion_target_rejects_a_gamma_that_is_not_positive_and_finite(gamma):
    with pytest.raises(ValueError, match="gamma"):
        fit(distortion_target(_program()), {"beta": jnp.ones(1), "gamma": jnp.full(1, gamma)}, [0], steps=10,
            chunk=10, record_every=10, progress=False)


def test_distortion_target_names_missing_knobs_outputs_and_bad_arguments():
    with pytest.raises(ValueError, match="no 'gamma'"):
        fit(distortion_target(_program()), ONE, [0], steps=10, chunk=10, record_every=10, progress=False)
    with pytest.raises(ValueError, match="reports no \\['distortion'\\]"):
        fit(distortion_target(_program(aux_keys=("rate",))), {"beta": jnp.ones(1), "gamma": jnp.ones(1)}, [0],
            steps=10, chunk=10, record_every=10, progress=False)
    with pytest.raises(ValueError, match="lam_lr"):
        distortion_target(_program(), lam_lr=-1e-3)
    with pytest.raises(TypeError, match="Program"):
        distortion_target("not a program")


@pytest.mark.parametrize("target", [0.0, -1.0, np.inf])
def test_rate_target_rejects_a_target_that_is_not_positive_and_finite(target):
    with pytest.raises(ValueError, match="rate_target"):
        fit(rate_target(_program()), {"beta": jnp.ones(1), "rate_target": jnp.full(1, target)}, [0], steps=10,
            chunk=10, record_every=10, progress=False)


def test_rate_target_names_a_base_without_rate():
    with pytest.raises(ValueError, match="reports no \\['rate'\\]"):
        fit(rate_target(_program(aux_keys=("distortion",))), {"beta": jnp.ones(1), "rate_target": jnp.ones(1)},
            [0], steps=10, chunk=10, record_every=10, progress=False)


def test_vae_config_names_a_non_number():
    from toyvae.experiments.bs20_train import VAEConfig

    with pytest.raises(ValueError, match="width"):
        VAEConfig(width="a")


def test_a_transform_is_chained_onto_the_program():
    program = _program(lr=0.1)
    plain = fit(program, ONE, [0], steps=10, chunk=10, record_every=10, progress=False)
    frozen = fit(program, ONE, [0], steps=10, chunk=10, record_every=10, progress=False,
                 transform=optax.scale(0.0))
    start = fit(program, ONE, [0], steps=10, chunk=10, record_every=10, progress=False, stop_after=10)
    init = jax.tree_util.tree_map(np.asarray, program.init({}, key=jax.random.split(jax.random.PRNGKey(0))[0]))
    assert np.allclose(np.asarray(frozen.params["w"])[0, 0], init["w"])
    assert not np.allclose(np.asarray(plain.params["w"]), np.asarray(frozen.params["w"]))
    assert start.steps_run == 10
