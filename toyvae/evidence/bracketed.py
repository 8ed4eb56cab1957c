"""A rule for a statistic whose estimate is biased one way: :class:`Bracketed`.

Some per-seed statistics are maxima over many candidates (a history's steepest block, its flattest phase): noise
raises them, so the plain estimate ``high`` overstates the truth while a bias-corrected one ``low`` (the estimate
minus a bound on that selection bias) understates it. ``Bracketed`` judges "the truth exceeds ``b``" on the
conservative side in each direction:

* HOLDS when ``low > b`` by the two-sided Student t over seeds at ``alpha`` (false HOLDS at most ``alpha / 2``
  whenever the mean of ``low`` is at most ``b``);
* REVERSED when ``high < b`` by the same test (false REVERSED at most ``alpha / 2`` whenever the mean of ``high`` is at
  least ``b``);
* UNRESOLVED otherwise. With ``low <= high`` in every seed the two calls exclude each other.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from toyvae.evidence.rules import Ref, Rule, _g, _per_seed, _t_test, _unusable, values_of
from toyvae.evidence.states import Role, State

__all__ = ["Bracketed"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Bracketed(Rule):
    """``truth > b`` judged by a conservative ``low`` (for HOLDS) and a liberal ``high`` (for REVERSED) estimate."""

    low: Ref
    high: Ref
    b: Ref = 0.0

    kind: ClassVar[str] = "Bracketed"

    def judge(self, evidence, role=Role.CORE):
        lo = _per_seed(np.atleast_1d(values_of(evidence, self.low) - values_of(evidence, self.b)), "low", self.name)
        hi = _per_seed(np.atleast_1d(values_of(evidence, self.high) - values_of(evidence, self.b)), "high", self.name)
        if lo.shape != hi.shape:
            raise ValueError(f"rule {self.name!r}: low and high must have one value per seed each")
        if np.any(lo > hi + 1e-12 * np.maximum(1.0, np.abs(hi))):
            raise ValueError(f"rule {self.name!r}: the conservative estimate exceeds the liberal one in some seed")
        if why := (_unusable(lo) or _unusable(hi)):
            return self._judgement(role, State.UNRESOLVED, why, {"n": lo.size})
        r_lo, r_hi = _t_test(lo, self.alpha), _t_test(hi, self.alpha)
        state = (State.HOLDS if r_lo["state"] == State.HOLDS else
                 State.REVERSED if r_hi["state"] == State.REVERSED else State.UNRESOLVED)
        numbers = {"n": r_lo["n"], "mean_low": r_lo["mean"], "t_low": r_lo["t"], "mean_high": r_hi["mean"],
                   "t_high": r_hi["t"], "t_critical": r_lo["t_critical"]}
        detail = (f"conservative mean difference {_g(r_lo['mean'])} (t = {_g(r_lo['t'])}), plain "
                  f"{_g(r_hi['mean'])} (t = {_g(r_hi['t'])}) over {r_lo['n']} seeds; holds when the conservative "
                  f"t > {r_lo['t_critical']:.2f}, reversed when the plain t < -{r_lo['t_critical']:.2f}")
        return self._judgement(role, state, detail, numbers, r_lo["p_holds"], r_hi["p_reversed"])
