"""Conformance of every model and every engine program (issue 17 item 5; ``toyvae/models/__init__.py``).

**Models** (one case per model of ``toyvae/models/``; a module with no case and no stated reason fails
:func:`test_every_model_module_is_covered`):

* ``init(..., *, key)`` and the loss's ``key`` keyword-only (every public function of a model module
  that takes a key, except the older key-first entry points listed in ``KEY_FIRST``);
* one jitted function: the loss ``vmap``-ed over 3 examples and its gradient; loss, aux and
  gradient finite; aux holds ``distortion`` and ``rate``, one scalar per example;
* float32: parameters, loss, aux and gradient, and again with x64 enabled (traced only).

**Programs** (every function of ``toyvae/experiments`` that builds a ``Program``, found by reading the
source; one left out fails :func:`test_every_program_builder_is_covered`), as the experiments wrap them:

* ``key`` keyword-only in init / sample / loss / probe;
* one step ``vmap``-ed over two settings (as ``fit`` does: init, sample, loss and gradient, post,
  probe) traced under jit: aux holds ``distortion`` and ``rate``; float32 parameters, loss, gradient
  and aux; compiled and run, finite (``--runslow``: 13 compilations take a minute on two cores);
* the checkpoint's identity changes with every argument of the factory's configuration, the same
  configuration gives the same (cached) program, and the code hash of the checkpoint reaches the
  model's source file (``toyvae/engine/checkpoint.py``).

**One Gaussian KL**: where a model's copy was replaced by ``models.gaussian.kl_standard_normal``, the
copy (put back) and the shared function give the same bits in the model's own loss (``np.array_equal``
on random inputs: value, aux and gradient, vmapped and jitted), with the same jaxpr or the same HLO.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyvae.engine import Program, distortion_target
from toyvae.engine import checkpoint as ckpt

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "toyvae" / "models"
EXPERIMENTS = ROOT / "toyvae" / "experiments"
KEY = jax.random.PRNGKey(0)
N_EXAMPLES = 3


def _leaves(tree):
    return jax.tree_util.tree_leaves_with_path(tree)


def assert_float32(tree, what: str) -> None:
    bad = [f"{jax.tree_util.keystr(p)}: {leaf.dtype}" for p, leaf in _leaves(tree) if leaf.dtype != jnp.float32]
    assert not bad, f"{what} not float32: {bad}"


def assert_finite(tree, what: str) -> None:
    bad = [jax.tree_util.keystr(p) for p, leaf in _leaves(tree) if not np.all(np.isfinite(np.asarray(leaf)))]
    assert not bad, f"{what} not finite at {bad}"


def _fast_jit(fn, *args):
    """``jax.jit(fn)(*args)`` compiled at XLA's lowest optimisation level (a quarter of the compile time;
    these checks need the properties, not the last bits)."""
    return jax.jit(fn).lower(*args).compile({"xla_backend_optimization_level": 0})(*args)


def assert_key_keyword_only(fn: Callable, what: str) -> None:
    params = inspect.signature(fn).parameters
    assert "key" in params, f"{what} takes no key"
    assert params["key"].kind is inspect.Parameter.KEYWORD_ONLY, f"{what}: key must be keyword-only"


# ------------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ModelCase:
    """One model: ``init(*init_args, key=)``, ``loss(params, *example, *args, key=) -> (loss, aux)``.

    ``example(key)`` returns the example's arrays, each with a leading axis of N_EXAMPLES (a pair is
    two arrays). Networks without a loss give ``apply(params, x)`` instead.
    """

    module: str
    init: Callable
    init_args: tuple = ()
    loss: Callable | None = None
    example: Callable = None
    args: tuple = ()
    apply: Callable | None = None


def _model_cases() -> dict[str, ModelCase]:
    from toyvae.models import conv, conv_vae, linear, linear_ls, mlp, mlp_vae, multirate, patch_vae, two_stage

    def normal(*shape):
        return lambda key: (jax.random.normal(key, (N_EXAMPLES, *shape), jnp.float32),)

    def pair(n):
        def draw(key):
            x = jax.random.normal(key, (N_EXAMPLES, n), jnp.float32)
            return x, 0.5 * x + 0.1

        return draw

    small_conv = conv.ConvConfig(image_size=8, widths=(4,), latent_dim=3)
    F = jnp.asarray(patch_vae.feature_matrix(), jnp.float32)
    return {
        "linear": ModelCase("linear", linear.init, (4, 2), linear.example_loss, normal(4), (jnp.eye(4), 0.5)),
        "linear_ls": ModelCase("linear_ls", linear_ls.init, (4, 2), linear_ls.example_loss, normal(4), (1.0,)),
        "multirate": ModelCase("multirate", multirate.init, (4, 2, 8), multirate.example_loss,
                               lambda key: ((jax.random.normal(key, (N_EXAMPLES, 4)),
                                             jnp.linspace(-2.0, 1.0, N_EXAMPLES)),)),
        "patch_vae": ModelCase("patch_vae", patch_vae.init, (), patch_vae.example_loss, normal(64),
                               (0.2, 0.3, 0.5, F)),
        "mlp_vae": ModelCase("mlp_vae", mlp_vae.init, (2, 2, 8, 1, 1e-3), mlp_vae.example_loss, normal(2),
                             (int(mlp_vae.Mode.VECTOR), 0.3, 1.0, 1e-3)),
        "conv_vae": ModelCase("conv_vae", conv_vae.init, (small_conv,), conv_vae.example_loss,
                              lambda key: (jax.random.uniform(key, (N_EXAMPLES, *small_conv.image_shape)),),
                              (int(conv_vae.Mode.VECTOR), 0.7, 0.5, 0.1)),
        "two_stage.conditional_linear": ModelCase("two_stage", two_stage.init_conditional_linear, (4, 2),
                                                  two_stage.conditional_linear_loss, pair(4), (0.5,)),
        "two_stage.mlp_vae": ModelCase("two_stage", two_stage.init_mlp_vae, (4, 2, 8, 1), two_stage.vae_loss,
                                       normal(4), (0.5,)),
        "two_stage.mlp_conditional": ModelCase("two_stage", two_stage.init_mlp_conditional, (4, 2, 8, 1),
                                               two_stage.conditional_loss, pair(4), (0.5,)),
        "mlp (network)": ModelCase("mlp", mlp.init, (3, 5, 8, 1), example=normal(3), apply=mlp.resnet),
        "conv (network)": ModelCase("conv", conv.init, (small_conv,),
                                    example=lambda key: (jax.random.uniform(key, (N_EXAMPLES,
                                                                                  *small_conv.image_shape)),),
                                    apply=lambda p, x: conv.decode(p, conv.encode(p, x)[0])[0]),
    }


MODEL_CASES = list(_model_cases())

# modules with no model of their own, and why
NO_MODEL = {"gaussian": "the BS20 family's likelihood, decoder sigma, KL and ELBO: run through mlp_vae and conv_vae"}

# older entry points that take the key first; each computes what a conventional one does (models/__init__.py)
KEY_FIRST = {"mlp.init_resnet", "mlp_vae.init_vae", "mlp_vae.negative_elbo", "mlp_vae.point_bounds",
             "conv_vae.negative_elbo", "conv_vae.point_bounds", "gaussian.negative_elbo", "gaussian.point_bounds",
             "patch_vae.init_vae", "two_stage.init_vae", "two_stage.init_conditional"}


def test_every_model_module_is_covered():
    modules = {p.stem for p in MODELS.glob("*.py") if p.stem != "__init__"}
    covered = {case.module for case in _model_cases().values()} | set(NO_MODEL)
    assert modules == covered, f"model modules without a conformance case: {sorted(modules - covered)}"


def test_every_function_that_takes_a_key_takes_it_keyword_only():
    offenders = []
    for stem in sorted(p.stem for p in MODELS.glob("*.py") if p.stem != "__init__"):
        module = importlib.import_module(f"toyvae.models.{stem}")
        for name in getattr(module, "__all__", ()):
            fn = getattr(module, name)
            if not callable(fn) or isinstance(fn, type):
                continue
            try:
                params = inspect.signature(fn).parameters
            except (TypeError, ValueError):
                continue
            qualified = f"{stem}.{name}"
            if "key" in params and params["key"].kind is not inspect.Parameter.KEYWORD_ONLY \
                    and qualified not in KEY_FIRST:
                offenders.append(qualified)
    assert not offenders, f"key must be keyword-only (models/__init__.py): {offenders}"
    for qualified in KEY_FIRST:  # the exceptions still exist (remove an entry when its function goes)
        stem, name = qualified.split(".")
        assert name in importlib.import_module(f"toyvae.models.{stem}").__all__, qualified


@pytest.mark.parametrize("name", MODEL_CASES)
def test_model_conforms(name):
    case = _model_cases()[name]
    assert_key_keyword_only(case.init, f"{name}: init")
    params = case.init(*case.init_args, key=KEY)
    assert_float32(params, f"{name}: parameters")
    example = case.example(jax.random.PRNGKey(1))
    keys = jax.random.split(jax.random.PRNGKey(2), N_EXAMPLES)

    if case.loss is None:  # a network: jit, vmap over examples, gradient
        def forward(p, *ex):
            out = jax.vmap(lambda *e: case.apply(p, *e))(*ex)
            return jnp.sum(out), out

        (total, out), grads = _fast_jit(jax.value_and_grad(forward, has_aux=True), params, *example)
        assert out.shape[0] == N_EXAMPLES
        assert_finite((out, grads), name)
        assert_float32((out, grads), name)
        with jax.enable_x64(True):
            shapes = jax.eval_shape(lambda k, *ex: forward(case.init(*case.init_args, key=k), *ex), KEY, *example)
        assert_float32(shapes, f"{name} with x64 enabled")
        return

    assert_key_keyword_only(case.loss, f"{name}: loss")

    def batch_loss(p, *ex):
        loss, aux = jax.vmap(lambda *e: case.loss(p, *e[:-1], *case.args, key=e[-1]))(*ex, keys)
        return jnp.mean(loss), (loss, aux)

    (_, (loss, aux)), grads = _fast_jit(jax.value_and_grad(batch_loss, has_aux=True), params, *example)
    assert loss.shape == (N_EXAMPLES,), f"{name}: one scalar loss per example, got {loss.shape}"
    assert isinstance(aux, dict) and {"distortion", "rate"} <= set(aux), f"{name}: aux {sorted(aux)}"
    for k in ("distortion", "rate"):
        assert aux[k].shape == (N_EXAMPLES,), f"{name}: aux[{k!r}] must be a scalar per example"
    assert_finite((loss, aux, grads), name)
    assert_float32((loss, aux, grads), name)
    assert jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(params)
    with jax.enable_x64(True):  # float32 inputs keep float32 everything, even where JAX would default to float64
        shapes = jax.eval_shape(
            lambda k, *ex: jax.value_and_grad(batch_loss, has_aux=True)(case.init(*case.init_args, key=k), *ex),
            KEY, *example)
    assert_float32(shapes, f"{name} with x64 enabled")


# ------------------------------------------------------------------------------------------------
# Programs
# ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ProgramCase:
    """A program as an experiment builds it: ``build(**config)``; ``variations`` each change one argument
    of the configuration (the identity must change); ``same`` change only run-level fields that the
    checkpoint manifest records itself (the program must stay the same object)."""

    builders: tuple[str, ...]  # "module:function" of toyvae/experiments that call Program(...)
    build: Callable[..., Program]
    config: dict
    variations: tuple[dict, ...]
    knobs: Callable[[], dict]  # two settings
    shared: Callable[[], Any]
    model_file: str  # toyvae/models/<file> the program's code hash must reach
    same: tuple[dict, ...] = ()


def _stack(*trees):
    return jax.tree_util.tree_map(lambda *a: jnp.stack(a), *trees)


def _photo_stack(size):
    from toyvae.data import photos

    rng = np.random.default_rng(0)
    return photos.stack_photos([rng.integers(0, 256, (size + 5, size + 3, 3), dtype=np.uint8),
                                rng.integers(0, 256, (size + 2, size + 6, 3), dtype=np.uint8)], size=size)


def _chol(n):
    return {"chol": jnp.asarray(np.diag(np.linspace(1.0, 0.3, n)), jnp.float32)}


def _data(n):
    return jnp.asarray(np.random.default_rng(1).normal(size=(20, n)), jnp.float32)


def _program_cases() -> dict[str, ProgramCase]:
    from toyvae.data.synthetic import HeteroscedasticCurve, SphereUniform
    from toyvae.experiments import bs20_train as bs
    from toyvae.experiments import frequency as fq
    from toyvae.experiments import linear_line as ll
    from toyvae.experiments import linear_vae as lv
    from toyvae.experiments import multirate as mr
    from toyvae.experiments import neural_losses as nl
    from toyvae.experiments import sphere as sp
    from toyvae.experiments import two_stage as ts
    from toyvae.experiments.scale import conv_crops as cc
    from toyvae.experiments.scale import linear_crops as lc
    from toyvae.experiments.scale import sphere_hd as sh
    from toyvae.models import conv, linear, two_stage

    def vary(base: dict, /, **changes) -> tuple[dict, ...]:  # one configuration per changed argument
        return tuple({**base, k: v} for k, v in changes.items())

    two = {"beta": jnp.array([0.3, 1.0], jnp.float32)}
    cases = {}

    cfg = bs.VAEConfig(width=8, depth=1, batch=4, steps=10, chunk=10, record_every=10)
    vae_cfg = dict(config=cfg, sampler=HeteroscedasticCurve())
    cases["bs20 mlp_vae"] = ProgramCase(
        ("bs20_train:_vae_program",), lambda config, sampler: bs.vae_program(config, sampler), vae_cfg,
        tuple({**vae_cfg, "config": dataclasses.replace(cfg, **{f: v})} for f, v in
              dict(data_dim=3, latent_dim=3, width=9, depth=2, batch=5, lr=2e-3, adam_eps=1e-7,
                   sigma_floor=1e-2).items()) + ({**vae_cfg, "sampler": SphereUniform(2, 1.0)},),
        lambda: bs.settings_knobs([bs.Setting.fixed(0.1), bs.Setting.vector()], 10), lambda: (), "mlp_vae.py",
        same=tuple({**vae_cfg, "config": dataclasses.replace(cfg, **{f: v})} for f, v in
                   dict(steps=20, chunk=20, average_last=0.5).items()))

    F = jnp.asarray(nl.feature_matrix(), jnp.float32)
    patch_cfg = dict(batch=4, learning_rate=1e-3)
    cases["NL26 patch_vae + rate_target"] = ProgramCase(
        ("neural_losses:_base_program",), nl.patch_program, patch_cfg, vary(patch_cfg, batch=5, learning_rate=2e-3),
        lambda: {"lam_feature": jnp.array([0.0, 0.5]), "lam_adversarial": jnp.array([0.5, 0.0]),
                 "beta": jnp.array([0.3, 0.3]), "geco": jnp.array([0.0, 1.0]), "rate_target": jnp.array([5.0, 5.0]),
                 "F": jnp.stack([F, F])},
        lambda: {"data": _data(64)}, "patch_vae.py")

    lin_cfg = dict(n=3, d=2, batch=4, steps=10, learning_rate=1e-2, final_fraction=0.1, train_decoder=True)
    cases["linear_vae"] = ProgramCase(
        ("linear_vae:linear_program",), lv.linear_program, lin_cfg,
        vary(lin_cfg, n=4, d=3, batch=5, steps=11, learning_rate=2e-2, final_fraction=0.2, train_decoder=False),
        lambda: {"G": jnp.stack([jnp.eye(3)] * 2), **two}, lambda: _chol(3), "linear.py")

    ls_cfg = dict(n=3, d=2, batch=4, steps=10, learning_rate=1e-2, final_fraction=0.1)
    cases["SL.LinRD learned-sigma linear_vae"] = ProgramCase(
        ("linear_line:ls_program",), ll.ls_program, ls_cfg,
        vary(ls_cfg, n=4, d=3, batch=5, steps=11, learning_rate=2e-2, final_fraction=0.2),
        lambda: {**two, "log_sigma2_0": jnp.array([0.0, -3.0], jnp.float32)}, lambda: _chol(3), "linear_ls.py")

    def targeted(lam_init=0.9999, lam_lr=2e-4, **base):
        return distortion_target(lv.linear_program(**base), lam_init=lam_init, lam_lr=lam_lr)

    tgt_cfg = dict(lin_cfg, final_fraction=1.0, lam_init=0.9999, lam_lr=2e-4)
    cases["linear_vae + distortion_target"] = ProgramCase(
        ("linear_vae:linear_program",), targeted, tgt_cfg, vary(tgt_cfg, d=3, learning_rate=2e-2, lam_init=0.9, lam_lr=1e-3),
        lambda: {"G": jnp.stack([jnp.eye(3)] * 2), **two, "gamma": jnp.array([0.2, 0.5])}, lambda: _chol(3), "linear.py")

    mr_cfg = dict(n=3, d=2, width=8, batch=4, steps=10, learning_rate=1e-2, final_fraction=1e-2)
    cases["multirate"] = ProgramCase(
        ("multirate:multirate_program",), mr.multirate_program, mr_cfg,
        vary(mr_cfg, n=4, d=3, width=9, batch=5, steps=11, learning_rate=2e-2, final_fraction=2e-2),
        lambda: {"log_beta_min": jnp.array([-2.0, -1.0]), "log_beta_max": jnp.array([1.0, 2.0])}, lambda: _chol(3),
        "multirate.py")

    cap = sp.Capacity(width=8, depth=1, steps=10, batch=4)
    sp_cfg = dict(D=3, R=1.7, cap=cap)
    cases["sphere_vae"] = ProgramCase(
        ("sphere:sphere_program",), sp.sphere_program, sp_cfg,
        vary(sp_cfg, D=4, R=2.0) + tuple({**sp_cfg, "cap": dataclasses.replace(cap, **{f: v})} for f, v in
                                         dict(width=9, depth=2, latent=2, steps=11, batch=5, lr=1e-3,
                                              lr_floor=0.1).items()),
        lambda: {"mode": jnp.array([0, 1]), "sigma": jnp.array([0.5, 0.5]), "warm_sigma": jnp.array([0.3, 0.5])},
        lambda: (), "mlp_vae.py")

    sh_cfg = dict(D=8, d=3, steps=10, batch=4, lr=1e-2)
    cases["scale sphere_linear_vae"] = ProgramCase(
        ("scale.sphere_hd:sphere_program",), sh.sphere_program, sh_cfg,
        vary(sh_cfg, D=9, d=2, steps=11, batch=5, lr=2e-2),
        lambda: {"sigma": jnp.array([1.0, 0.5]), "warm_sigma": jnp.array([0.5, 0.5]),
                 "mask": jnp.array([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])}, lambda: (), "linear.py")

    small_conv = conv.ConvConfig(image_size=8, widths=(4,), latent_dim=3)
    cc_cfg = dict(config=small_conv, batch=2, steps=10, lr=1e-3, rate=5.0)
    cases["scale conv_vae + rate_target"] = ProgramCase(
        ("scale.conv_crops:base_program",), cc.conv_program, cc_cfg,
        vary(cc_cfg, config=dataclasses.replace(small_conv, latent_dim=4), batch=3, steps=11, lr=2e-3, rate=6.0),
        lambda: {"mode": jnp.array([0, 2]), "sigma": jnp.array([0.7, 0.7]), "lam": jnp.array([0.0, 0.5]),
                 "beta": jnp.array([1.0, 0.02]), "geco": jnp.array([0.0, 1.0]), "rate_target": jnp.array([5.0, 5.0])},
        lambda: {"stack": _photo_stack(8)}, "conv_vae.py")

    lc_cfg = dict(size=4, d=2, steps=10, batch=2, lr=1e-2)
    cases["scale linear_vae_crops"] = ProgramCase(
        ("scale.linear_crops:linear_program",), lc.linear_program, lc_cfg,
        vary(lc_cfg, size=5, d=3, steps=11, batch=3, lr=2e-2),
        lambda: {"feature": jnp.array([0.0, 1.0]), **two},
        lambda: {"stack": _photo_stack(4), "mean": jnp.zeros(48, jnp.float32)}, "linear.py")

    def frequency_linear(n, batch, model_learning_rate, lambda_learning_rate):
        # fq.linear_program(plan) with n from the sweep's source (8): the same two factories
        return distortion_target(fq._linear_base(n, batch, model_learning_rate), lam_lr=lambda_learning_rate)

    fl_cfg = dict(n=3, batch=4, model_learning_rate=1e-2, lambda_learning_rate=1e-3)
    cases["MB.S5 linear spectrum + distortion_target"] = ProgramCase(
        ("frequency:_linear_base",), frequency_linear, fl_cfg,
        vary(fl_cfg, n=4, batch=5, model_learning_rate=2e-2, lambda_learning_rate=2e-3),
        lambda: {**two, "gamma": jnp.array([0.2, 0.5]), "Sigma": jnp.stack([jnp.eye(3)] * 2),
                 "basis": jnp.stack([jnp.eye(3)] * 2)}, lambda: _chol(3), "linear.py")

    fp_plan = fq.PatchPlan(steps=10, batch=4, seeds=(0,), latent=2, width=8, depth=1)
    cases["MB.S5 patch + distortion_target"] = ProgramCase(
        ("frequency:_patch_base",), lambda plan: fq.patch_program(plan), dict(plan=fp_plan),
        tuple({"plan": dataclasses.replace(fp_plan, **{f: v})} for f, v in
              dict(batch=5, latent=3, width=9, depth=2, learning_rate=1e-3, lambda_learning_rate=2e-3).items()),
        lambda: {**two, "gamma": jnp.array([20.0, 40.0])}, lambda: {"data": _data(64)}, "two_stage.py",
        same=tuple({"plan": dataclasses.replace(fp_plan, **{f: v})} for f, v in
                   dict(steps=20, seeds=(1, 2), n_train=10, n_eval=10, average_last=0.5).items()))

    def secondary_knobs():
        return {**two, "gamma": jnp.array([0.1, 0.2]), "pipeline": jnp.array([0, 1], jnp.int32),
                "seed": jnp.array([0, 1], jnp.int32)}

    def linear_secondary(n, batch, learning_rate, lam_lr):
        return distortion_target(ts._linear_secondary(n, batch, learning_rate), lam_lr=lam_lr)

    ls_cfg = dict(n=3, batch=4, learning_rate=1e-2, lam_lr=1e-3)
    cases["MB.2stage linear secondary + distortion_target"] = ProgramCase(
        ("two_stage:_linear_secondary",), linear_secondary, ls_cfg,
        vary(ls_cfg, n=4, batch=5, learning_rate=2e-2, lam_lr=2e-3), secondary_knobs,
        lambda: {**_chol(3), "primaries": _stack(*(linear.init(3, 3, key=jax.random.PRNGKey(i)) for i in (5, 6)))},
        "two_stage.py")

    def mlp_secondary(n, latent, width, depth, batch, learning_rate, lam_lr):
        return distortion_target(ts._mlp_secondary(n, latent, width, depth, batch, learning_rate), lam_lr=lam_lr)

    ms_cfg = dict(n=4, latent=2, width=8, depth=1, batch=4, learning_rate=1e-2, lam_lr=1e-3)
    cases["MB.2stage MLP secondary + distortion_target"] = ProgramCase(
        ("two_stage:_mlp_secondary",), mlp_secondary, ms_cfg,
        vary(ms_cfg, n=5, latent=3, width=9, depth=2, batch=5, learning_rate=2e-2, lam_lr=2e-3), secondary_knobs,
        lambda: {"data": _data(4),
                 "primaries": _stack(*(two_stage.init_mlp_vae(4, 2, 8, 1, key=jax.random.PRNGKey(i)) for i in (5, 6)))},
        "two_stage.py")
    return cases


PROGRAM_CASES = ["bs20 mlp_vae", "NL26 patch_vae + rate_target", "linear_vae", "linear_vae + distortion_target",
                 "SL.LinRD learned-sigma linear_vae",
                 "multirate", "sphere_vae", "scale sphere_linear_vae", "scale conv_vae + rate_target",
                 "scale linear_vae_crops", "MB.S5 linear spectrum + distortion_target",
                 "MB.S5 patch + distortion_target", "MB.2stage linear secondary + distortion_target",
                 "MB.2stage MLP secondary + distortion_target"]


def _program_builders() -> set[str]:
    """``module:function`` of every function in toyvae/experiments whose body calls ``Program(...)``."""
    found = set()
    for path in EXPERIMENTS.rglob("*.py"):
        module = ".".join(path.relative_to(EXPERIMENTS).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Program":
                        found.add(f"{module}:{node.name}")
    return found


def test_every_program_builder_is_covered():
    cases = _program_cases()
    assert sorted(cases) == sorted(PROGRAM_CASES)
    covered = {b for case in cases.values() for b in case.builders}
    missing = _program_builders() - covered
    assert not missing, f"functions of toyvae/experiments that build a Program without a conformance case: {missing}"


@pytest.mark.parametrize("name", PROGRAM_CASES)
def test_program_identity_follows_its_configuration(name):
    case = _program_cases()[name]
    program = case.build(**case.config)
    assert case.build(**case.config) is program, "the same configuration must give the same (cached) program"
    for config in case.same:
        assert case.build(**config) is program, f"{name}: run-level fields (in the manifest) must not make a new program"
    fingerprints = [program.fingerprint] + [case.build(**config).fingerprint for config in case.variations]
    ignored = [{k: v for k, v in c.items() if case.config.get(k) is not v}
               for c, f in zip(case.variations, fingerprints[1:]) if f == program.fingerprint]
    assert not ignored, f"{name}: the checkpoint identity ignores {ignored}"
    assert len(set(fingerprints)) == len(fingerprints)
    files: set[Path] = set()
    ckpt._reach(program, files, [], set())
    assert MODELS / case.model_file in files, f"{name}: the checkpoint's code hash does not read models/{case.model_file}"
    assert len(ckpt.code_hash(program)) == 64


def _program_step(name):
    """``(program, step, knobs, shared)``: ``step`` is ONE training step of two settings as ``fit`` vmaps them
    (init, sample, loss and gradient, post, probe), to be traced or compiled."""
    case = _program_cases()[name]
    program = case.build(**case.config)

    def one_setting(knob, key, shared_):
        init_key, data_key, loss_key = jax.random.split(key, 3)
        params = program.init(knob, key=init_key)
        batch = program.sample(knob, shared_, key=data_key)
        (loss, aux), grads = jax.value_and_grad(
            lambda p: program.loss(p, batch, knob, key=loss_key, step=jnp.int32(0)), has_aux=True)(params)
        out = {"params": params, "loss": loss, "aux": aux, "grads": grads}
        if program.post is not None:
            out["post"] = program.post(params, aux, knob, step=jnp.int32(0))
        if program.probe is not None:
            out["probe"] = program.probe(params, knob, shared_, key=loss_key)
        return out

    return program, jax.vmap(one_setting, in_axes=(0, None, None)), case.knobs(), case.shared()


@pytest.mark.parametrize("name", PROGRAM_CASES)
def test_program_conforms(name):
    """Traced under jit (no compilation: 13 programs take a minute to compile on two cores; the slow test
    below runs them): keyword-only keys, two settings through vmap (no Python branch on a knob), aux,
    float32 parameters, loss, gradient and aux."""
    program, step, knobs, shared = _program_step(name)
    for field in ("init", "sample", "loss", "probe"):
        fn = getattr(program, field)
        if fn is not None:
            assert_key_keyword_only(fn, f"{name}: {field}")
    if program.check is not None:
        program.check(knobs)
    out = jax.eval_shape(jax.jit(step), knobs, KEY, shared)
    assert out["loss"].shape == (2,), f"{name}: loss must be a scalar per setting"
    assert {"distortion", "rate"} <= set(out["aux"]), f"{name}: aux {sorted(out['aux'])}"
    assert all(out["aux"][k].shape == (2,) for k in ("distortion", "rate")), f"{name}: distortion, rate not scalars"
    assert_float32({k: out[k] for k in ("params", "loss", "grads")}, name)
    assert_float32({k: v for k, v in out["aux"].items() if jnp.issubdtype(v.dtype, jnp.floating)}, f"{name}: aux")
    assert jax.tree_util.tree_structure(out["grads"]) == jax.tree_util.tree_structure(out["params"])


@pytest.mark.slow
@pytest.mark.parametrize("name", PROGRAM_CASES)
def test_program_step_runs_finite(name):
    """The step above compiled (XLA's fastest compile: the numbers need only be finite) and run."""
    _, step, knobs, shared = _program_step(name)
    compiled = jax.jit(step).lower(knobs, KEY, shared).compile({"xla_backend_optimization_level": 0})
    assert_finite(compiled(knobs, KEY, shared), name)


# ------------------------------------------------------------------------------------------------
# One Gaussian KL: the shared function gives the bits of every copy it replaced
# ------------------------------------------------------------------------------------------------


def _old_linear_kl(m, s, log_s, dot=True):  # linear.example_loss and multirate.example_loss before
    return 0.5 * m @ m + 0.5 * jnp.sum(s - 1.0 - log_s)


def _old_shifted_kl(m, s, log_s):  # two_stage.conditional_linear_loss before (m is the shifted mean)
    return 0.5 * jnp.sum(m**2) + 0.5 * jnp.sum(s - 1.0 - log_s)


def _old_patch_kl(mu, s):  # patch_vae.kl before
    return 0.5 * jnp.sum(mu**2) + 0.5 * jnp.sum(s - 1.0 - jnp.log(s))


def _old_gaussian_kl(m, s):  # models.gaussian.kl_standard_normal before (mlp_vae, conv_vae)
    return 0.5 * jnp.sum(jnp.square(m)) + 0.5 * jnp.sum(s - 1.0 - jnp.log(s))


# model, the module global its loss calls, the copy it replaced, how the jaxprs compare
REPLACED = {
    "linear": ("toyvae.models.linear", "kl_standard_normal", _old_linear_kl, "jaxpr"),
    "multirate": ("toyvae.models.multirate", "kl_standard_normal", _old_linear_kl, "jaxpr"),
    "two_stage.conditional_linear": ("toyvae.models.two_stage", "kl_standard_normal", _old_shifted_kl, "hlo"),
    "patch_vae": ("toyvae.models.patch_vae", "kl", _old_patch_kl, "hlo"),
    "mlp_vae": ("toyvae.models.gaussian", "kl_standard_normal", _old_gaussian_kl, "jaxpr"),
}


def _canonical_hlo(fn, *args) -> str:
    """The HLO of ``fn`` (what every backend compiles) with its instruction names numbered in order."""
    text = jax.jit(fn).lower(*args).as_text(dialect="hlo").split("\n", 1)[1]
    names = dict.fromkeys(re.findall(r"^\s*(?:ROOT\s+)?%?([\w.\-]+)\s*=", text, re.M))
    numbered = {n: f"v{i}" for i, n in enumerate(names)}
    return re.sub(r"[\w.\-]+", lambda m: numbered.get(m.group(0), m.group(0)), text)


@pytest.mark.parametrize("name", list(REPLACED))
def test_the_shared_kl_gives_the_bits_of_the_copy_it_replaced(name, monkeypatch):
    module_name, attr, old_kl, same = REPLACED[name]
    case = _model_cases()[name]
    module = importlib.import_module(module_name)
    params = case.init(*case.init_args, key=jax.random.PRNGKey(7))
    # random parameters away from the initialisation (log-variances and means of both signs)
    leaves, tree = jax.tree_util.tree_flatten(params)
    keys = jax.random.split(jax.random.PRNGKey(8), len(leaves))
    params = jax.tree_util.tree_unflatten(tree, [a + 0.3 * jax.random.normal(k, a.shape, a.dtype)
                                                 for a, k in zip(leaves, keys)])
    example = case.example(jax.random.PRNGKey(9))
    loss_keys = jax.random.split(jax.random.PRNGKey(10), N_EXAMPLES)

    def value_and_grad(p, *ex):
        def batch(q):
            loss, aux = jax.vmap(lambda *e: case.loss(q, *e[:-1], *case.args, key=e[-1]))(*ex, loss_keys)
            return jnp.mean(loss), (loss, aux)

        return jax.value_and_grad(batch, has_aux=True)(p)

    def run():
        return (str(jax.make_jaxpr(value_and_grad)(params, *example)),
                _canonical_hlo(value_and_grad, params, *example) if same == "hlo" else None,
                jax.tree_util.tree_leaves(jax.jit(value_and_grad)(params, *example)))

    new_jaxpr, new_hlo, new = run()
    monkeypatch.setattr(module, attr, old_kl)
    old_jaxpr, old_hlo, old = run()
    assert len(new) == len(old)
    assert all(np.array_equal(g, w) for g, w in zip(new, old)), f"{name}: the shared KL changed the bits"
    if same == "jaxpr":
        assert new_jaxpr == old_jaxpr
    else:  # ``x**2`` (integer_pow) and ``square`` are two jaxpr primitives, one HLO multiply
        assert new_hlo == old_hlo


def test_the_shared_kl_alone_on_random_inputs():
    """The KL functions themselves against each copy, over sizes and scales (value and gradients)."""
    from toyvae.models.gaussian import kl_diagonal, kl_standard_normal

    rng = np.random.default_rng(0)
    for d in (7, 300):
        m = jnp.asarray(rng.normal(scale=3.0, size=d), jnp.float32)
        log_s = jnp.asarray(rng.uniform(-12.0, 6.0, size=d), jnp.float32)
        s = jnp.exp(log_s)
        pairs = [(lambda m, s, ls: kl_standard_normal(m, s), lambda m, s, ls: _old_gaussian_kl(m, s)),
                 (lambda m, s, ls: kl_standard_normal(m, s), lambda m, s, ls: _old_patch_kl(m, s)),
                 (lambda m, s, ls: kl_standard_normal(m, s, ls), lambda m, s, ls: _old_shifted_kl(m, s, ls)),
                 (lambda m, s, ls: kl_standard_normal(m, s, ls, dot=True), _old_linear_kl)]
        flip = (jnp.stack([m, -m]), jnp.stack([s, s[::-1]]), jnp.stack([log_s, log_s[::-1]]))

        def all_ways(f):  # value, gradient, and over a batch
            return f(m, s, log_s), jax.grad(f, (0, 1, 2))(m, s, log_s), jax.vmap(f)(*flip)

        way = jax.jit(all_ways, static_argnums=0)
        for new, old in pairs:
            got, want = jax.tree_util.tree_leaves(way(new)), jax.tree_util.tree_leaves(way(old))
            assert all(np.array_equal(g, w) for g, w in zip(got, want)), (d, new)
        # the diagonal KL to N(0, I) is the same number (not the same bits: another order of operations)
        np.testing.assert_allclose(kl_diagonal(m, log_s, 0.0, 0.0), kl_standard_normal(m, s, log_s), rtol=1e-5)
    assert math.isclose(float(kl_standard_normal(jnp.zeros(3), jnp.ones(3))), 0.0, abs_tol=0.0)
