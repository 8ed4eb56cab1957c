"""Targets as components: wrap ANY program whose loss reports ``distortion`` and ``rate`` in its aux.

A multiplier is one more leaf of the parameters, ``{"model": ..., "dual": ...}``, in the same
optimiser state (``optax.multi_transform`` gives it its own transformation) and in the same
checkpoint; its projection or rule update lives in the program's ``post``. Nothing here is a loop:
``fit`` trains the wrapped program like any other.

* :func:`distortion_target` — the Lagrangian of "Mind your bits and errors" (MB), App. B.2 and
  eqs. 9-10: the model minimises ``(1 - lam) R + lam D`` while ``lam`` maximises ``lam (D - gamma)``
  by its own Adam (MB: lr 2e-4, betas (0, 0.999)), projected onto ``[1e-4, 0.9999]`` after every
  step, starting at 0.9999. One loss gives both gradients:

      L = (1 - sg(lam)) R + sg(lam) D - lam * sg(D - gamma)

  (``sg`` = stop-gradient): the model's gradient is that of eq. 9 and ``lam``'s is ``-(D - gamma)``,
  so descending ``L`` ascends eq. 10 in ``lam``. At a fixed point the model is a beta-VAE with
  ``beta = (1 - lam) / lam`` (aux ``"beta_equivalent"``).
* :func:`rate_target` — a GECO-style rule (Rezende & Viola 2018) that holds the rate at a target by
  moving ``log beta`` after every step: ``log beta <- clip(log beta + eta (R_batch - target), lo, hi)``
  (NL26 Sec. 3.2's matched-rate comparisons). A rule, not a gradient: its optimiser is
  ``optax.set_to_zero`` and the update is the program's ``post``.

The target (``gamma`` or the rate) is read from the knobs, so settings can differ in it.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from toyvae.engine.program import Program

__all__ = ["distortion_target", "rate_target"]


def _labels(params):
    return {"model": jax.tree_util.tree_map(lambda _: "model", params["model"]), "dual": "dual"}


def _check_base(base, wrapper: str) -> None:
    if not isinstance(base, Program):
        raise TypeError(f"{wrapper}: base must be a toyvae.engine.Program, got {type(base).__name__} {base!r}")


def _reported(aux, base: Program, wrapper: str, *names: str) -> None:
    """Trace-time check that the base's aux reports ``names`` (a KeyError would not say whose)."""
    missing = [n for n in names if not isinstance(aux, dict) or n not in aux]
    if missing:
        have = sorted(aux) if isinstance(aux, dict) else type(aux).__name__
        raise ValueError(f"{wrapper}: the base program {base.name!r} reports no {missing} in its loss aux "
                         f"(it reports {have}); {wrapper} needs scalar 'distortion' and 'rate'")


def _knob_checker(wrapper: str, base: Program, rules: dict):
    """A ``Program.check``: every knob of ``rules`` present and every value obeying its rule (before work)."""

    def check(knobs) -> None:
        if base.check is not None:
            base.check(knobs)
        if not isinstance(knobs, dict):
            raise TypeError(f"{wrapper}: knobs must be a dict, got {type(knobs).__name__}")
        for knob, (ok, need, *where) in rules.items():
            if knob not in knobs:
                raise ValueError(f"{wrapper}: knobs have no {knob!r} ({need}); they have {sorted(knobs)}")
            values = np.asarray(knobs[knob], np.float64)
            if where and where[0] is not None:  # only the settings where the rule is active
                if where[0] not in knobs:
                    raise ValueError(f"{wrapper}: knobs have no {where[0]!r}; they have {sorted(knobs)}")
                values = values[np.asarray(knobs[where[0]]) > 0]
            if not np.all(ok(values)):
                raise ValueError(f"{wrapper}: knob {knob!r} must be {need}, got {values.tolist()}")

    return check


def _chain_post(base_post, params, aux, knobs, step):
    model = params["model"] if base_post is None else base_post(params["model"], aux, knobs, step=step)
    return model


@functools.cache
def distortion_target(base: Program, *, gamma_knob: str = "gamma", lam_init: float = 0.9999,
                      lam_min: float = 1e-4, lam_max: float = 0.9999, lam_lr: float = 2e-4,
                      lam_b1: float = 0.0, lam_b2: float = 0.999) -> Program:
    """MB's distortion-targeted training of ``base`` (module docstring). ``knobs[gamma_knob]`` = gamma.

    ``base.loss`` must return aux with scalar ``"distortion"`` and ``"rate"``; its own loss value is
    not used. The wrapped loss reports the base's aux plus ``"multiplier"`` (lam) and
    ``"beta_equivalent"`` ((1 - lam) / lam).
    """
    _check_base(base, "distortion_target")
    if not 0 < lam_min <= lam_init <= lam_max < 1:
        raise ValueError(f"need 0 < lam_min <= lam_init <= lam_max < 1, got {lam_min}, {lam_init}, {lam_max}")
    if not (isinstance(lam_lr, (int, float)) and 0 < lam_lr < float("inf")):
        raise ValueError(f"distortion_target: the multiplier's learning rate lam_lr must be a finite number > 0, "
                         f"got {lam_lr!r}")
    if not (0 <= lam_b1 < 1 and 0 <= lam_b2 < 1):
        raise ValueError(f"distortion_target: need 0 <= lam_b1, lam_b2 < 1, got {lam_b1}, {lam_b2}")

    def init(knobs, *, key):
        return {"model": base.init(knobs, key=key), "dual": jnp.asarray(lam_init, jnp.float32)}

    def loss(params, batch, knobs, *, key, step):
        _, aux = base.loss(params["model"], batch, knobs, key=key, step=step)
        _reported(aux, base, "distortion_target", "distortion", "rate")
        D, R = aux["distortion"], aux["rate"]
        lam = params["dual"]
        lam_c = jax.lax.stop_gradient(lam)
        value = (1.0 - lam_c) * R + lam_c * D - lam * jax.lax.stop_gradient(D - knobs[gamma_knob])
        return value, {**aux, "multiplier": lam_c, "beta_equivalent": (1.0 - lam_c) / lam_c}

    def optimizer(knobs):
        return optax.multi_transform(
            {"model": base.optimizer(knobs), "dual": optax.adam(lam_lr, b1=lam_b1, b2=lam_b2)}, _labels)

    def post(params, aux, knobs, *, step):
        return {"model": _chain_post(base.post, params, aux, knobs, step),
                "dual": jnp.clip(params["dual"], lam_min, lam_max)}

    probe = None
    if base.probe is not None:
        def probe(params, knobs, shared, *, key):
            return base.probe(params["model"], knobs, shared, key=key)

    return Program(name=f"{base.name}+distortion_target", init=init, sample=base.sample, loss=loss,
                   optimizer=optimizer, post=post, probe=probe,
                   identity=(base.fingerprint, gamma_knob, lam_init, lam_min, lam_max, lam_lr, lam_b1, lam_b2),
                   check=_knob_checker("distortion_target", base, {
                       gamma_knob: (lambda g: np.isfinite(g) & (g > 0), "a finite target distortion gamma > 0")}))


@functools.cache
def rate_target(base: Program, *, target_knob: str = "rate_target", beta_knob: str = "beta",
                active_knob: str | None = None, eta: float = 0.005, log_beta_min: float = -10.0,
                log_beta_max: float = 5.0) -> Program:
    """Hold the rate of ``base`` at ``knobs[target_knob]`` by a GECO-style rule on log beta.

    ``base.loss`` reads its KL weight from ``knobs[beta_knob]`` (a dict of knobs) and reports a
    scalar ``"rate"`` in aux. The multiplier starts at ``log knobs[beta_knob]``; with
    ``active_knob`` set, settings whose ``knobs[active_knob]`` is 0 keep beta fixed (so targeted and
    untargeted settings can share one program). Aux adds ``"beta"``.
    """
    _check_base(base, "rate_target")
    if not log_beta_min < log_beta_max:
        raise ValueError(f"need log_beta_min < log_beta_max, got {log_beta_min}, {log_beta_max}")
    if not (isinstance(eta, (int, float)) and 0 < eta < float("inf")):
        raise ValueError(f"rate_target: the rule's step eta must be a finite number > 0, got {eta!r}")

    def with_beta(knobs, log_beta):
        return {**knobs, beta_knob: jnp.exp(jax.lax.stop_gradient(log_beta))}

    def init(knobs, *, key):
        return {"model": base.init(knobs, key=key), "dual": jnp.log(jnp.asarray(knobs[beta_knob], jnp.float32))}

    def loss(params, batch, knobs, *, key, step):
        value, aux = base.loss(params["model"], batch, with_beta(knobs, params["dual"]), key=key, step=step)
        _reported(aux, base, "rate_target", "rate")
        return value, {**aux, "beta": jnp.exp(params["dual"])}

    def optimizer(knobs):
        return optax.multi_transform({"model": base.optimizer(knobs), "dual": optax.set_to_zero()}, _labels)

    def post(params, aux, knobs, *, step):
        moved = jnp.clip(params["dual"] + eta * (aux["rate"] - knobs[target_knob]), log_beta_min, log_beta_max)
        if active_knob is not None:
            moved = jnp.where(knobs[active_knob] > 0, moved, params["dual"])
        model = _chain_post(base.post, params, aux, with_beta(knobs, params["dual"]), step)
        return {"model": model, "dual": moved}

    probe = None
    if base.probe is not None:
        def probe(params, knobs, shared, *, key):
            return base.probe(params["model"], with_beta(knobs, params["dual"]), shared, key=key)

    return Program(name=f"{base.name}+rate_target", init=init, sample=base.sample, loss=loss,
                   optimizer=optimizer, post=post, probe=probe,
                   identity=(base.fingerprint, target_knob, beta_knob, active_knob, eta, log_beta_min,
                             log_beta_max),
                   check=_knob_checker("rate_target", base, {
                       target_knob: (lambda r: np.isfinite(r) & (r > 0), "a finite target rate > 0 (nats)", active_knob),
                       beta_knob: (lambda b: np.isfinite(b) & (b > 0), "a finite starting KL weight beta > 0")}))
