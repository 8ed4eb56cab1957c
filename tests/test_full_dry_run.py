"""The full profile's dry run (``TOYVAE_FULL_DRY_RUN``, :mod:`toyvae.profiles`): every trained claim's FULL code
path runs end to end on the CPU at a tiny size, so that a GPU lease is never spent discovering a shape or memory
error (issue 20). The shrinking rule itself is tested here at no cost; the end-to-end runs are ``slow``
(20-30 minutes on two shared cores: ``pytest tests/test_full_dry_run.py --runslow``).
"""

from __future__ import annotations

import dataclasses

import pytest

from toyvae import profiles
from toyvae.profiles import DRY_RUN_VAR, DryRun, Profile, plan_for, shrink


@dataclasses.dataclass(frozen=True)
class _Inner:
    steps: int
    width: int
    seeds: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class _Plan:
    steps: int
    primary_steps: int
    chunk: int
    batch: int
    width: int
    widths: tuple[int, ...]
    n_train: int
    n_eval: int
    seeds: tuple[int, ...]
    inner: _Inner
    dims: tuple[tuple[int, ...], ...] = ((7, 8, 9, 10),)


_FULL = _Plan(steps=30000, primary_steps=20000, chunk=1000, batch=128, width=200, widths=(64, 128, 256, 512),
              n_train=50000, n_eval=2000, seeds=(0, 1, 2, 3, 4), inner=_Inner(steps=6000, width=128, seeds=(0, 1, 2, 3)))
_QUICK = dataclasses.replace(_FULL, steps=10, n_train=20000, n_eval=1000)
_PLANS = {Profile.QUICK: _QUICK, Profile.FULL: _FULL}


def test_tiny_shrinks_sizes_and_keeps_architecture(monkeypatch):
    monkeypatch.setenv(DRY_RUN_VAR, "1")
    p = plan_for(_PLANS, Profile.FULL)
    assert (p.steps, p.primary_steps, p.chunk) == (600, 400, 20)
    assert (p.n_train, p.n_eval) == (20000, 1000)  # the QUICK plan's sample sizes
    assert p.seeds == (0, 1, 2) and p.inner.seeds == (0, 1, 2) and p.inner.steps == 120
    # architecture, batch and any other tuple unchanged
    assert (p.batch, p.width, p.widths, p.inner.width, p.dims) == (128, 200, (64, 128, 256, 512), 128, ((7, 8, 9, 10),))
    assert plan_for(_PLANS, Profile.QUICK) is _QUICK  # the quick profile is never shrunk


def test_steps_mode_divides_only_the_steps(monkeypatch):
    monkeypatch.setenv(DRY_RUN_VAR, "steps/20")
    p = plan_for(_PLANS, "full")
    assert (p.steps, p.primary_steps, p.chunk, p.inner.steps) == (1500, 1000, 50, 300)
    assert (p.seeds, p.n_train, p.n_eval) == (_FULL.seeds, _FULL.n_train, _FULL.n_eval)


def test_off_and_invalid_values(monkeypatch):
    for off in ("", "0"):
        monkeypatch.setenv(DRY_RUN_VAR, off)
        assert profiles.full_dry_run() is None
        assert plan_for(_PLANS, Profile.FULL) is _FULL
    for bad in ("yes", "steps/0", "steps/x", "2"):
        monkeypatch.setenv(DRY_RUN_VAR, bad)
        with pytest.raises(ValueError, match=DRY_RUN_VAR):
            profiles.full_dry_run()


def test_small_values_never_grow_and_plain_tuple_plans(monkeypatch):
    small = _Plan(steps=50, primary_steps=1, chunk=5, batch=4, width=8, widths=(8,), n_train=10, n_eval=100,
                  seeds=(0,), inner=_Inner(steps=3, width=2, seeds=()))
    p = shrink(small, profiles.TINY)
    assert (p.steps, p.primary_steps, p.chunk, p.n_train, p.n_eval, p.seeds, p.inner.steps) == (1, 1, 1, 10, 100, (0,), 1)
    assert (shrink(_FULL, profiles.TINY).n_train, shrink(_FULL, profiles.TINY).n_eval) == (1000, 100)  # no QUICK plan
    config, seeds = shrink((_Inner(steps=4000, width=3, seeds=(5,)), (0, 1, 2, 3, 4)), profiles.TINY)
    assert config.steps == 80 and seeds == (0, 1, 2)


def test_seed_offset_applies_after_the_shrink(monkeypatch):
    monkeypatch.setenv(DRY_RUN_VAR, "1")
    with profiles.seed_offset(2):
        assert plan_for(_PLANS, Profile.FULL).seeds == (2000, 2001, 2002)
        assert profiles.cache_subfolder() == "seed-offset-2/full-dry-run-tiny"


def test_caches_and_checkpoints_are_kept_apart(monkeypatch, tmp_path):
    from toyvae.engine.fit import default_cache_dir
    from toyvae.experiments._cache import cached

    calls = []

    @cached
    def sized(profile="full"):
        calls.append(1)
        return plan_for(_PLANS, profile).steps

    monkeypatch.setenv("TOYVAE_CACHE", str(tmp_path))
    monkeypatch.delenv(DRY_RUN_VAR, raising=False)
    assert sized() == 30000 and default_cache_dir() == tmp_path
    monkeypatch.setenv(DRY_RUN_VAR, "1")
    assert sized() == 600 and default_cache_dir() == tmp_path / "full-dry-run-tiny"
    monkeypatch.setenv(DRY_RUN_VAR, "steps/20")
    assert sized() == 1500 and default_cache_dir() == tmp_path / "full-dry-run-steps-20"
    assert len(calls) == 3


def test_every_full_plan_of_the_experiments_shrinks(monkeypatch):
    """Each experiment's FULL plan under the tiny dry run: fewer steps, at most three seeds, same architecture."""
    from toyvae.experiments import digits, frequency, linear_vae, multirate, neural_losses, sphere, toy2d, two_stage

    mappings = [digits.PLANS, frequency.LINEAR_PLANS, frequency.PATCH_PLANS, linear_vae.SWEEP_PLANS,
                linear_vae.FIG13_PLANS, linear_vae.TARGETED_PLANS, multirate.PLANS, neural_losses.PLANS, toy2d.PLANS,
                two_stage.LINEAR_PLANS, two_stage.PATCH_PLANS]
    monkeypatch.setenv(DRY_RUN_VAR, "1")
    for plans in mappings:
        full, dry = plans[Profile.FULL], plan_for(plans, Profile.FULL)
        config_full, config_dry = (full[0], dry[0]) if isinstance(full, tuple) else (full, dry)
        assert config_dry.steps < config_full.steps
        quick = plans[Profile.QUICK][0] if isinstance(full, tuple) else plans[Profile.QUICK]
        for name in ("n_train", "n_eval", "n_samples"):
            if hasattr(config_full, name):
                assert getattr(config_dry, name) == min(getattr(config_full, name), getattr(quick, name))
        assert dataclasses.replace(config_dry, **{f.name: getattr(config_full, f.name)
                                                  for f in dataclasses.fields(config_full)
                                                  if f.name in ("steps", "primary_steps", "chunk", "seeds", "n_train",
                                                                "n_eval", "n_samples")}) == config_full
    # sphere keeps its FULL capacities outside plan_for: full_sized shrinks them
    grid, cap, _ = sphere.profile_settings(Profile.FULL)
    assert cap.steps == 120 and cap.width == 128 and cap.depth == 2
    assert all(c.steps <= 120 for c in sphere.capacity_levels(Profile.FULL))


def test_scale_runs_its_quick_plan_under_either_variable(monkeypatch):
    from toyvae.experiments.scale import plans as scale_plans

    monkeypatch.delenv(scale_plans.DRY_RUN_VAR, raising=False)
    monkeypatch.delenv(DRY_RUN_VAR, raising=False)
    assert scale_plans.plan(Profile.FULL) == scale_plans.PLANS[Profile.FULL]
    monkeypatch.setenv(scale_plans.DRY_RUN_VAR, "1")
    assert scale_plans.dry_run() and scale_plans.plan(Profile.FULL) == scale_plans.PLANS[Profile.QUICK]
    monkeypatch.delenv(scale_plans.DRY_RUN_VAR)
    monkeypatch.setenv(DRY_RUN_VAR, "1")
    assert scale_plans.dry_run() and scale_plans.plan(Profile.FULL) == scale_plans.PLANS[Profile.QUICK]


def _trained_claims() -> list[str]:
    from toyvae.claims.registry import all_claims

    return [c.id for c in all_claims() if c.kind == "trained"]


@pytest.fixture(scope="module")
def dry_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("full_dry_run_cache")


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", _trained_claims())
def test_full_profile_code_path_runs_dry(claim_id, monkeypatch, dry_cache):
    """The claim's FULL code path, end to end (training, measurement, rules, JSON) at the tiny dry-run size.

    Claims that share a run share it here too (the experiments' caches key on the dry run). The verdict of a
    dry run means nothing and is not checked; the run must finish and give a JSON-able result.
    """
    import json

    from toyvae.claims.registry import Verdict, run_claim, select

    monkeypatch.setenv(DRY_RUN_VAR, "1")
    monkeypatch.setenv("TOYVAE_CACHE", str(dry_cache))
    (c,) = select([claim_id])
    result = run_claim(c, Profile.FULL)
    assert result.outcome.verdict in set(Verdict)
    json.dumps(result.to_json(), allow_nan=True)
