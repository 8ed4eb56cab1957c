"""Plans, the seed offset of replication runs, and the one owner of experiment caches (no training here)."""

from __future__ import annotations

import dataclasses

import pytest

from toyvae import clear_caches, profiles
from toyvae.cli import main
from toyvae.experiments._cache import cached
from toyvae.profiles import Profile, plan_for, seed_offset


@dataclasses.dataclass(frozen=True)
class _Plan:
    steps: int
    seeds: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class _Nested:
    inner: _Plan
    seed: int


PLANS = {Profile.QUICK: _Plan(10, (0, 1, 2)), Profile.FULL: _Plan(100, (0, 1, 2, 3, 4))}


def test_plan_for_returns_the_plan_itself_without_an_offset():
    assert plan_for(PLANS, "quick") is PLANS[Profile.QUICK]


def test_a_seed_offset_shifts_every_seed_and_nothing_else():
    with seed_offset(2):
        plan = plan_for(PLANS, Profile.FULL)
        nested = profiles.shift_seeds(_Nested(_Plan(1, (0, 1)), seed=0), 2000)
        pair = plan_for({Profile.QUICK: ("config", (0, 1, 2))}, "quick")
    assert plan == _Plan(100, (2000, 2001, 2002, 2003, 2004))
    assert nested == _Nested(_Plan(1, (2000, 2001)), seed=2000)
    assert pair == ("config", (2000, 2001, 2002))
    assert profiles.current_seed_offset() == 0  # restored


@pytest.mark.parametrize("bad", [-1, 1.5, True, 10**7])
def test_bad_seed_offsets_are_rejected(bad):
    with pytest.raises(ValueError, match="seed offset"):
        profiles.set_seed_offset(bad)


def test_the_cache_keys_on_normalised_arguments_and_the_seed_offset(monkeypatch):
    from toyvae.experiments import _cache

    # clear_caches() below must not drop the suite's trained runs (later tests reuse them): this test's
    # cache is the only one it sees
    monkeypatch.setattr(_cache, "_CACHES", [])
    calls = []

    @cached
    def run(profile: Profile = Profile.QUICK, seed0: int = 0):
        calls.append((profile, seed0, profiles.current_seed_offset()))
        return len(calls)

    assert run() == run(Profile.QUICK) == run("quick", 0) == run(profile="quick", seed0=0) == 1
    with seed_offset(1):
        assert run() == 2  # another plan: trained again
    assert run() == 1
    clear_caches()
    assert run() == 3


def test_verify_rejects_a_negative_seed_offset_before_work(capsys):
    assert main(["verify", "--seed-offset", "-1"]) == 2
    assert "--seed-offset" in capsys.readouterr().err


def test_verify_with_a_seed_offset_leaves_the_process_offset_alone(capsys):
    assert main(["verify", "--only", "NO.SUCH.CLAIM", "--seed-offset", "3"]) == 2
    assert profiles.current_seed_offset() == 0
