"""Rules: small frozen objects that judge a claim's per-seed evidence.

A rule is declared before the data (in a claim module) with the names of the evidence arrays it
reads; :meth:`Rule.judge` applies it to one run's evidence (a mapping ``name -> array`` whose leading
axis is the seed) and returns a :class:`~toyvae.evidence.states.Judgement` whose sentence the report
shows. Seeds are the unit of evidence: every statistical rule is a one-sample Student t over seeds,
so it is valid whatever the autocorrelation *within* a seed's training history.

Kinds:

* :class:`Ordering` -- ``a > b`` (paired over seeds, two-sided t at ``alpha``); ``b`` may be a number.
* :class:`Equivalence` -- ``a = b`` within ``margin`` (two one-sided tests; REVERSED when the
  two-sided ``1 - alpha`` interval lies entirely outside the margin).
* :class:`NonInferiority` -- ``a >= b - margin`` (one-sided at ``alpha``).
* :class:`Towards` -- a quantity moves towards a reference (log distance early / late, paired t).
* :class:`Settled` -- a history's drift over the final window is below a materiality bound
  (per-seed drift between the window's halves, TOST over seeds).
* :class:`Exact` -- a deterministic quantity (closed form, identity, or every seed) within ``tol``
  of a reference: HOLDS or REVERSED, no statistics.
* :class:`Within` -- every value inside ``[low, high]`` (a deterministic bound: a consistency check).

Every rule has a ``says`` text (its prediction) and an ``if_false`` text (what it would show if the
claim were false); :meth:`Rule.spec` is the registered form whose hash is the claim's rule fingerprint.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import scipy.special

from toyvae.evidence import power as _power
from toyvae.evidence.states import Judgement, Role, State

__all__ = ["Rule", "Ordering", "Equivalence", "NonInferiority", "Towards", "Settled", "Exact", "Within",
           "Ref", "values_of"]

Ref = str | float  # the name of an evidence array, or a number


def values_of(evidence: Mapping[str, Any], ref: Ref) -> np.ndarray:
    """The float64 array ``evidence[ref]`` (or the number ``ref``), with a clear error for a missing name."""
    if isinstance(ref, str):
        if ref not in evidence:
            known = ", ".join(sorted(evidence)) or "none"
            raise KeyError(f"evidence {ref!r} is missing (recorded: {known})")
        return np.asarray(evidence[ref], dtype=np.float64)
    return np.asarray(float(ref), dtype=np.float64)


def _g(x: float) -> str:
    """A number with 4 significant digits for the rule's sentence."""
    return "inf" if x == np.inf else "-inf" if x == -np.inf else f"{x:.4g}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Rule:
    """Base of every rule (see the module docstring).

    Attributes:
        name: unique within a claim; the report and the rule history refer to it.
        says: the prediction in words ("LV's held-out ELBO exceeds LS's").
        if_false: what the rule would show if the claim were false (default: derived from ``says``).
        alpha: the rule's level (two-sided for orderings).
        requires: the names of the claim's premises this rule depends on (None: all of them).
    """

    name: str
    says: str
    if_false: str = ""
    alpha: float = 0.05
    requires: tuple[str, ...] | None = None

    kind: ClassVar[str] = "Rule"

    def __post_init__(self) -> None:
        if not (0 < self.alpha < 0.5):
            raise ValueError(f"rule {self.name!r}: alpha must be in (0, 0.5), got {self.alpha!r}")
        if not self.name or not self.says:
            raise ValueError("a rule needs a name and a 'says' sentence")

    def spec(self) -> dict[str, Any]:
        """The registered form: the kind and every field (hashed into the claim's rule fingerprint)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {"kind": self.kind, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in fields.items()}}

    def judge(self, evidence: Mapping[str, Any], role: Role = Role.CORE) -> Judgement:
        raise NotImplementedError

    def _judgement(self, role, state, detail, numbers, p_holds=1.0, p_reversed=1.0) -> Judgement:
        sentence = f"{self.says}: {state} ({detail})"
        return Judgement(name=self.name, kind=self.kind, role=Role(role), state=State(state), sentence=sentence,
                         numbers={k: _jsonable_number(v) for k, v in numbers.items()},
                         p_holds=float(p_holds), p_reversed=float(p_reversed), alpha=self.alpha)

    def untestable(self, role: Role, why: str) -> Judgement:
        """The judgement of this rule when a premise it depends on failed."""
        return self._judgement(role, State.UNTESTABLE, why, {})


def _jsonable_number(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer)):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None if v != v else ("inf" if v > 0 else "-inf")
    return v


def _one_sample_t(d: np.ndarray) -> tuple[int, float, float]:
    """(n, mean, standard error) of per-seed values ``d`` (1-D)."""
    n = d.size
    m = float(d.mean())
    se = float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else float("inf")
    return n, m, se


def _per_seed(x: np.ndarray, name: str, rule: str) -> np.ndarray:
    if x.ndim != 1:
        raise ValueError(f"rule {rule!r}: {name} must be one value per seed (1-D), got shape {x.shape}")
    return x


def _t_sf(t: float, df: int) -> float:
    """P(T > t) for Student t with ``df`` degrees of freedom, with the limits of +-inf."""
    if t == np.inf:
        return 0.0
    if t == -np.inf:
        return 1.0
    return float(scipy.special.stdtr(df, -t))


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Compared(Rule):
    """A rule on the per-seed difference ``a - b`` (or ``log a - log b`` with ``log=True``)."""

    a: Ref
    b: Ref = 0.0
    log: bool = False
    # The effect the claim is about (in the compared units), and a pilot's seed standard deviation of the
    # difference: with both, the rule reports its power at the plan's number of seeds before any data.
    effect: float | None = None
    pilot_sd: float | None = None

    def difference(self, evidence: Mapping[str, Any]) -> np.ndarray:
        a, b = values_of(evidence, self.a), values_of(evidence, self.b)
        if self.log:
            if np.any(a <= 0) or np.any(b <= 0):
                raise ValueError(f"rule {self.name!r}: log comparison of non-positive values")
            a, b = np.log(a), np.log(b)
        d = np.broadcast_to(a - b, np.broadcast_shapes(a.shape, b.shape)).astype(np.float64)
        if d.ndim == 0:
            d = d.reshape(1)
        return _per_seed(d, "the difference", self.name)

    def _unit(self) -> str:
        return "mean log ratio" if self.log else "mean difference"

    def power(self, n: int, sd: float | None = None) -> float | None:  # each kind gives its own
        return None

    def _power_note(self, numbers: dict[str, Any], what: str, n_max: int = 1000) -> str:
        """For an unresolved rule: its power at this n (at the pilot's seed spread when registered, else the
        observed one) and the seeds that give 80%, added to ``numbers``; the sentence's suffix ('' without power)."""
        sd = self.pilot_sd if self.pilot_sd is not None else numbers["se"] * np.sqrt(numbers["n"])
        pw = self.power(numbers["n"], sd)
        if pw is None:
            return ""
        need = _power.seeds_for_power(lambda k: self.power(k, sd) or 0.0, n_max=n_max)
        numbers.update(power=pw, seeds_for_80pct=need)
        return f"; power {pw:.0%} {what}" + (f", {need} seeds give 80%" if need else "")


def _t_test(d: np.ndarray, alpha: float) -> dict[str, Any]:
    """Two-sided one-sample t over seeds of ``d`` against 0 at ``alpha`` (``d`` finite, at least 2 seeds)."""
    n, m, se = _one_sample_t(d)
    crit = float(scipy.special.stdtrit(n - 1, 1 - alpha / 2))
    t = m / se if se > 0 else (np.inf * np.sign(m) if m != 0 else 0.0)
    state = State.HOLDS if t > crit else State.REVERSED if t < -crit else State.UNRESOLVED
    return {"n": n, "mean": m, "se": se, "t": float(t), "t_critical": crit, "state": state,
            "p_holds": 2 * _t_sf(t, n - 1), "p_reversed": 2 * _t_sf(-t, n - 1)}


def _tost(d: np.ndarray, margin: float, alpha: float) -> dict[str, Any]:
    """Equivalence of the mean of ``d`` to 0 within ``+-margin``: two one-sided tests at ``alpha`` (HOLDS);
    the two-sided ``1 - alpha`` interval entirely outside the margin (REVERSED)."""
    n, m, se = _one_sample_t(d)
    df = n - 1
    if se > 0:
        p_holds = max(_t_sf((m + margin) / se, df), _t_sf(-(m - margin) / se, df))
        p_rev = min(1.0, 2 * min(_t_sf((m - margin) / se, df), _t_sf(-(m + margin) / se, df)))
    else:
        p_holds = 0.0 if abs(m) < margin else 1.0
        p_rev = 0.0 if abs(m) > margin else 1.0
    half = float(scipy.special.stdtrit(df, 1 - alpha / 2)) * se
    half_tost = float(scipy.special.stdtrit(df, 1 - alpha)) * se
    state = State.HOLDS if p_holds < alpha else State.REVERSED if p_rev < alpha else State.UNRESOLVED
    return {"n": n, "mean": m, "se": se, "ci_low": m - half, "ci_high": m + half, "tost_low": m - half_tost,
            "tost_high": m + half_tost, "margin": margin, "state": state, "p_holds": p_holds, "p_reversed": p_rev}


def _unusable(d: np.ndarray) -> str:
    """Why per-seed values cannot be tested ('' when they can)."""
    if not np.all(np.isfinite(d)):
        return f"non-finite evidence in {int(np.sum(~np.isfinite(d)))} of {d.size} seeds"
    if d.size < 2:
        return "one seed: no test"
    return ""


def _split(r: dict[str, Any]) -> tuple[State, dict[str, Any], float, float]:
    numbers = {k: v for k, v in r.items() if k not in ("state", "p_holds", "p_reversed")}
    return r["state"], numbers, r["p_holds"], r["p_reversed"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Ordering(_Compared):
    """``a > b``: the paired t over seeds of ``a - b`` against the two-sided Student-t quantile.

    HOLDS when ``t > t_{1-alpha/2, n-1}``, REVERSED when ``t < -t_{1-alpha/2, n-1}``: a false call in
    either direction has probability ``alpha / 2`` when the true mean difference is 0 (normal seed noise).
    With ``effect`` stated, an unresolved ordering reports its power at this number of seeds (for the
    pilot's seed spread when registered, else the observed one) and the seeds that give 80%.
    """

    kind: ClassVar[str] = "Ordering"

    def power(self, n: int, sd: float | None = None) -> float | None:
        sd = self.pilot_sd if sd is None else sd
        if self.effect is None or sd is None or n < 2 or not sd > 0:
            return None
        return _power.ordering_power(n, self.effect, sd, self.alpha)

    def judge(self, evidence, role=Role.CORE):
        d = self.difference(evidence)
        if why := _unusable(d):
            return self._judgement(role, State.UNRESOLVED, why, {"n": d.size})
        state, numbers, p_h, p_r = _split(_t_test(d, self.alpha))
        detail = (f"{self._unit()} {_g(numbers['mean'])}, paired t = {_g(numbers['t'])} over {numbers['n']} seeds, "
                  f"|t| > {numbers['t_critical']:.2f} decides")
        if state == State.UNRESOLVED:
            if self.effect is not None:  # an ordering's power needs the effect the claim is about
                detail += self._power_note(numbers, f"for the stated effect {_g(self.effect)}")
        return self._judgement(role, state, detail, numbers, p_h, p_r)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Equivalence(_Compared):
    """``a = b`` within ``margin`` (in the compared units; with ``log=True`` a margin of log(1.1) is x/1.1).

    HOLDS by two one-sided tests at ``alpha`` (the ``1 - 2 alpha`` interval inside the margin); REVERSED when
    the two-sided ``1 - alpha`` interval lies entirely outside it. A false HOLDS has probability at most
    ``alpha`` when the truth sits on the margin; a false REVERSED at most ``alpha / 2`` when it is inside.
    An unresolved equivalence reports its power (P(HOLDS) if the truth were exactly ``effect``, default 0).
    """

    margin: float

    kind: ClassVar[str] = "Equivalence"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (np.isfinite(self.margin) and self.margin > 0):
            raise ValueError(f"rule {self.name!r}: margin must be positive and finite, got {self.margin!r}")

    def power(self, n: int, sd: float | None = None) -> float | None:
        """P(HOLDS | the truth is ``effect`` (default: exactly equal)) at ``n`` seeds."""
        sd = self.pilot_sd if sd is None else sd
        if sd is None or n < 2 or not sd > 0:
            return None
        return _power.equivalence_power(n, self.margin, sd, self.effect or 0.0, self.alpha)

    def judge(self, evidence, role=Role.CORE):
        d = self.difference(evidence)
        if why := _unusable(d):
            return self._judgement(role, State.UNRESOLVED, why, {"n": d.size})
        state, numbers, p_h, p_r = _split(_tost(d, self.margin, self.alpha))
        shown = (lambda v: f"{np.exp(v):.4g}") if self.log else _g
        margin = f"x/{np.exp(self.margin):.4g}" if self.log else f"+-{_g(self.margin)}"
        detail = (f"{'ratio' if self.log else 'difference'} {shown(numbers['mean'])} over {numbers['n']} seeds vs {margin}: "
                  f"{1 - 2 * self.alpha:.0%} CI [{shown(numbers['tost_low'])}, {shown(numbers['tost_high'])}] (inside: "
                  f"equal), {1 - self.alpha:.0%} CI [{shown(numbers['ci_low'])}, {shown(numbers['ci_high'])}] (outside: "
                  f"different)")
        if state == State.UNRESOLVED:
            detail += self._power_note(numbers, "to show equality at this spread", n_max=200)
        return self._judgement(role, state, detail, numbers, p_h, p_r)


@dataclasses.dataclass(frozen=True, kw_only=True)
class NonInferiority(_Compared):
    """``a >= b - margin``: HOLDS one-sided at ``alpha``; REVERSED when ``a < b - margin`` one-sided at ``alpha``."""

    margin: float = 0.0

    kind: ClassVar[str] = "NonInferiority"

    def power(self, n: int, sd: float | None = None) -> float | None:
        """P(HOLDS | the true difference is ``effect``, default 0) at ``n`` seeds."""
        sd = self.pilot_sd if sd is None else sd
        if sd is None or n < 2 or not sd > 0:
            return None
        return _power.noninferiority_power(n, self.effect or 0.0, self.margin, sd, self.alpha)

    def judge(self, evidence, role=Role.CORE):
        d = self.difference(evidence) + self.margin
        if why := _unusable(d):
            return self._judgement(role, State.UNRESOLVED, why, {"n": d.size})
        r = _t_test(d, 2 * self.alpha)  # two-sided at 2 alpha = each side one-sided at alpha
        state, numbers, p_h, p_r = _split(r)
        numbers["mean"] -= self.margin
        numbers["margin"] = self.margin
        detail = (f"{self._unit()} {_g(numbers['mean'])} vs -{_g(self.margin)}, one-sided t = {_g(numbers['t'])} "
                  f"over {numbers['n']} seeds")
        if state == State.UNRESOLVED:
            detail += self._power_note(numbers, "if there were no difference")
        return self._judgement(role, state, detail, numbers, p_h / 2, p_r / 2)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Towards(Rule):
    """A quantity moves towards a reference between two times: per seed ``log |early - ref| - log |late - ref|``
    (Euclidean norm over the last axis for vectors, e.g. an allocation over components), paired t > 0.

    REVERSED: it moves away from the reference. The reference may be per seed or one value.
    """

    early: Ref
    late: Ref
    reference: Ref

    kind: ClassVar[str] = "Towards"

    def distances(self, evidence) -> tuple[np.ndarray, np.ndarray]:
        e, l, r = (values_of(evidence, k) for k in (self.early, self.late, self.reference))

        def dist(x):
            gap = np.abs(x - r)
            return np.sqrt(np.sum(gap**2, axis=-1)) if gap.ndim > 1 else gap

        return dist(e), dist(l)

    def judge(self, evidence, role=Role.CORE):
        de, dl = self.distances(evidence)
        tiny = np.finfo(np.float64).tiny
        d = _per_seed(np.log(np.maximum(de, tiny)) - np.log(np.maximum(dl, tiny)), "the distances", self.name)
        if why := _unusable(d):
            return self._judgement(role, State.UNRESOLVED, why, {"n": d.size})
        state, numbers, p_h, p_r = _split(_t_test(d, self.alpha))
        numbers.update(distance_early=float(np.mean(de)), distance_late=float(np.mean(dl)))
        detail = (f"mean distance to the reference {_g(numbers['distance_early'])} -> {_g(numbers['distance_late'])}; "
                  f"mean log ratio {_g(numbers['mean'])}, paired t = {_g(numbers['t'])} over {numbers['n']} seeds, "
                  f"|t| > {numbers['t_critical']:.2f} decides")
        return self._judgement(role, state, detail, numbers, p_h, p_r)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settled(Rule):
    """A recorded history has settled: its drift over the final window is below ``materiality``.

    Per seed, the drift is the mean of the window's second half minus that of its first half (divided by
    the window's mean magnitude with ``relative=True``); the seeds' drifts are independent, so two one-sided
    t tests over seeds against ``+-materiality`` are valid whatever the autocorrelation within a history
    (a slope test on autocorrelated block means is not). HOLDS: the drift is shown smaller than the
    materiality bound; REVERSED: shown larger; otherwise unresolved.
    """

    history: str  # evidence of shape (seeds, records in the final window)
    materiality: float
    relative: bool = True

    kind: ClassVar[str] = "Settled"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (np.isfinite(self.materiality) and self.materiality > 0):
            raise ValueError(f"rule {self.name!r}: materiality must be positive, got {self.materiality!r}")

    def drifts(self, evidence) -> np.ndarray:
        h = values_of(evidence, self.history)
        if h.ndim != 2 or h.shape[1] < 4:
            raise ValueError(f"rule {self.name!r}: history must be (seeds, records >= 4), got shape {h.shape}")
        half = h.shape[1] // 2
        drift = h[:, -half:].mean(axis=1) - h[:, :half].mean(axis=1)
        if self.relative:
            drift = drift / np.abs(h).mean(axis=1)
        return drift

    def judge(self, evidence, role=Role.CORE):
        drift = self.drifts(evidence)
        if why := _unusable(drift):
            return self._judgement(role, State.UNRESOLVED, why, {"n": drift.size})
        state, numbers, p_h, p_r = _split(_tost(drift, self.materiality, self.alpha))
        numbers["drift_per_seed"] = drift.tolist()
        what = "relative drift" if self.relative else "drift"
        detail = (f"{what} between the final window's halves {_g(numbers['mean'])} over {numbers['n']} seeds vs "
                  f"materiality +-{_g(self.materiality)}: {1 - 2 * self.alpha:.0%} CI [{_g(numbers['tost_low'])}, "
                  f"{_g(numbers['tost_high'])}] (inside: settled), {1 - self.alpha:.0%} CI [{_g(numbers['ci_low'])}, "
                  f"{_g(numbers['ci_high'])}] (outside: drifting)")
        return self._judgement(role, state, detail, numbers, p_h, p_r)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Exact(Rule):
    """A deterministic quantity equals a reference within ``tol`` (absolute, or relative to |reference|).

    For closed forms, identities and checks that must hold in every seed: HOLDS or REVERSED, no statistics;
    the tolerance's reason belongs in the claim's tolerances.
    """

    a: Ref
    reference: Ref = 0.0
    tol: float = 0.0
    relative: bool = False

    kind: ClassVar[str] = "Exact"

    def judge(self, evidence, role=Role.CORE):
        a, r = values_of(evidence, self.a), values_of(evidence, self.reference)
        gap = np.abs(a - r)
        if self.relative:
            gap = gap / np.maximum(np.abs(r), np.finfo(np.float64).tiny)
        if gap.size == 0 or not np.all(np.isfinite(gap)):
            return self._judgement(role, State.REVERSED, "non-finite or empty evidence", {"size": int(gap.size)},
                                   1.0, 0.0)
        worst = float(np.max(gap))
        ok = worst <= self.tol
        detail = f"largest {'relative ' if self.relative else ''}gap {_g(worst)} vs tolerance {_g(self.tol)}"
        return self._judgement(role, State.HOLDS if ok else State.REVERSED, detail,
                               {"max_gap": worst, "tol": self.tol, "size": int(gap.size)},
                               0.0 if ok else 1.0, 1.0 if ok else 0.0)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Within(Rule):
    """Every value of ``a`` lies in ``[low, high]`` (either bound may be None): a deterministic bound."""

    a: Ref
    low: float | None = None
    high: float | None = None

    kind: ClassVar[str] = "Within"

    def judge(self, evidence, role=Role.CORE):
        a = values_of(evidence, self.a).ravel()
        bad = ~np.isfinite(a)
        if self.low is not None:
            bad |= a < self.low
        if self.high is not None:
            bad |= a > self.high
        ok = a.size > 0 and not bad.any()
        detail = (f"{int(bad.sum())} of {a.size} values outside [{'-inf' if self.low is None else _g(self.low)}, "
                  f"{'inf' if self.high is None else _g(self.high)}]; range {_g(float(np.nanmin(a)))}.."
                  f"{_g(float(np.nanmax(a)))}") if a.size else "no values"
        return self._judgement(role, State.HOLDS if ok else State.REVERSED, detail,
                               {"outside": int(bad.sum()), "size": int(a.size)}, 0.0 if ok else 1.0, 1.0 if ok else 0.0)
