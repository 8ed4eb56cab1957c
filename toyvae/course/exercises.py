"""Exercises of the course, and the checker that grades a student's number against the package.

Every exercise has an id (``"2.3"``: lesson 2, exercise 3), a question, the claims it belongs to, and
an *oracle*: a function that computes the exact answer from the package's closed forms
(:mod:`toyvae.theory`, and for one curvature the asserted sympy result of :mod:`proofs`) when it is
called, never a number typed in here. Each has a tolerance and the reason for it.

    >>> from toyvae.course.exercises import check
    >>> check("2.1", 0.35355)         # prints a line; returns a Feedback that notebooks do not display
    Exercise 2.1: right.
    >>> check("2.1", 0.36)
    Exercise 2.1: not yet: too high, by about 2%. (Right means within 1e-04 relative.)

``check(id, None)`` (the student version's placeholder) says "not answered yet" and does not fail.
A value is right when ``|value - exact| <= atol + rtol |exact|`` element by element (the rule of
``numpy.isclose``). Nothing :func:`check` prints or displays reveals the exact answer: a wrong value
gets its direction and rough size (one significant digit), and a hint when it matches a usual
mistake (twice or half the answer: D instead of D/2; its square or square root: a missing square
root; the opposite sign; or a mistake the exercise names). The exact answer is
``exercise(id).answer()``, for teachers; the solution version of a lesson shows how to compute it.

A *code exercise* asks for a function: ``check(id, my_function)`` calls it on the exercise's inputs
(``Exercise.call``) and grades what it returns in the same way.

The course's Gaussian source (lessons 4-6) is :func:`course_source`: ``n = 6`` coordinates with
covariance ``C diag(k^-2) C^T``, ``C`` the orthonormal DCT-II basis (a 1-D analogue of an image's
``1/f^2`` power spectrum), so its spectrum under squared error is ``1, 1/4, ..., 1/36``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import numpy as np

__all__ = [
    "Exercise",
    "Feedback",
    "EXERCISES",
    "exercise",
    "exercises_of",
    "ask",
    "check",
    "history",
    "reset_history",
    "score",
    "question_markdown",
    "reference",
    "yours_or_reference",
    "course_source",
    "COURSE_N",
    "SOURCE_NAME",
]

COURSE_N = 6
SOURCE_NAME = "the course source (n = 6, spectrum k^-2, k = 1..6, in the DCT basis)"


@functools.cache
def _source(n: int) -> np.ndarray:
    from toyvae.experiments.linear_vae import dct_basis

    C = dct_basis(n)
    return (C * np.arange(1, n + 1, dtype=float) ** -2.0) @ C.T


def course_source(n: int = COURSE_N) -> np.ndarray:
    """Covariance ``C diag(k^-2) C^T`` of the course's Gaussian source (a copy; see the module docstring)."""
    return _source(int(n)).copy()


def _spectrum() -> np.ndarray:
    from toyvae.theory import rate_distortion as rd

    return rd.metric_weighted_spectrum(course_source(), np.eye(COURSE_N))


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One exercise.

    Attributes:
        id: ``"lesson.number"``, e.g. ``"2.3"``.
        question: what the student computes (one paragraph; the lesson's text explains the setting).
        claims: the claim ids of ``toyvae list`` that the exercise belongs to.
        oracle: the closed form used for the exact answer, in words (shown with the answer).
        solve: computes the exact answer from the package's closed forms, at call time.
        rtol, atol: right means ``|value - exact| <= atol + rtol |exact|``, element by element.
        reason: why this tolerance.
        call: for a code exercise, applies the student's function to the exercise's inputs.
        mistakes: (hint, function computing the answer that mistake gives) pairs of this exercise.
    """

    id: str
    question: str
    claims: tuple[str, ...]
    oracle: str
    solve: Callable[[], float | np.ndarray]
    rtol: float
    reason: str
    atol: float = 0.0
    call: Callable[[Callable], object] | None = None
    mistakes: tuple[tuple[str, Callable[[], object]], ...] = ()

    def __repr__(self) -> str:  # what a notebook shows: the question, never the oracle's value
        return f"Exercise({self.id}: {self.question[:60]}...)"

    @property
    def lesson(self) -> int:
        return int(self.id.split(".")[0])

    def answer(self) -> float | np.ndarray:
        """The exact answer, computed now from the package (float or float64 array)."""
        value = np.asarray(self.solve(), np.float64)
        return float(value) if value.ndim == 0 else value

    def tolerance_text(self) -> str:
        parts = []
        if self.rtol:
            parts.append(f"{self.rtol:.0e} relative")
        if self.atol:
            parts.append(f"{self.atol:.0e} absolute")
        return " + ".join(parts) if parts else "exactly"


@dataclasses.dataclass(frozen=True)
class Feedback:
    """The outcome of :func:`check`.

    Attributes:
        exercise_id: the exercise.
        status: ``"right"``, ``"off"``, ``"not answered"`` (the value was None) or ``"unreadable"``
            (not a finite real number or array of the answer's shape).
        value: the student's value (float64) or None.
        expected: the exact answer.
        error: ``value - expected`` at the element where it is largest in size (None unless compared).
        relative: ``error / |expected|`` there (``inf`` when the expected element is 0).
        message: what :func:`check` printed.
    """

    exercise_id: str
    status: str
    value: float | np.ndarray | None
    expected: float | np.ndarray
    error: float | None
    relative: float | None
    message: str

    @property
    def correct(self) -> bool:
        return self.status == "right"

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:  # no numbers: the exact answer must not show in a notebook
        return f"Feedback({self.exercise_id}: {self.status})"

    def _ipython_display_(self) -> None:
        """Jupyter shows nothing for a cell ending in ``check(...)``: the feedback is already printed."""


EXERCISES: dict[str, Exercise] = {}
_HISTORY: list[Feedback] = []


def _register(id: str, question: str, claims: tuple[str, ...], oracle: str, rtol: float, reason: str,
              atol: float = 0.0, call=None, mistakes=()):
    def deco(solve):
        if id in EXERCISES:
            raise ValueError(f"exercise {id} registered twice")
        EXERCISES[id] = Exercise(id, question, claims, oracle, solve, rtol, reason, atol, call, tuple(mistakes))
        return solve

    return deco


def exercise(exercise_id: str) -> Exercise:
    """The exercise with this id; ``KeyError`` naming the known ids otherwise."""
    try:
        return EXERCISES[str(exercise_id)]
    except KeyError:
        raise KeyError(f"no exercise {exercise_id!r}; known: {', '.join(EXERCISES)}") from None


def exercises_of(lesson: int) -> list[Exercise]:
    """The exercises of one lesson, in order."""
    chosen = [e for e in EXERCISES.values() if e.lesson == int(lesson)]
    return sorted(chosen, key=lambda e: tuple(int(part) for part in e.id.split(".")))


def ask(exercise_id: str) -> None:
    """Print the exercise's question and tolerance (what a lesson shows before the student's cell)."""
    ex = exercise(exercise_id)
    print(f"Exercise {ex.id} ({', '.join(ex.claims)}): {ex.question}")
    print(f"  (right within {ex.tolerance_text()}: {ex.reason})")


def question_markdown(exercise_id: str) -> str:
    """The exercise as a Markdown paragraph (the lessons' rendered versions put it above its cell)."""
    ex = exercise(exercise_id)
    return (f"**Exercise {ex.id}** ({', '.join(ex.claims)}). {ex.question} "
            f"*Right within {ex.tolerance_text()}: {ex.reason}.*")


def check(exercise_id: str, value, *, quiet: bool = False) -> Feedback:
    """Grade ``value`` for exercise ``exercise_id`` against the exact answer; print and return the feedback.

    ``None`` is the student version's placeholder: "not answered yet", never an error. Anything that
    is not a finite real number (or an array of the answer's shape) is "unreadable". Every feedback is
    also appended to :func:`history`.
    """
    ex = exercise(exercise_id)
    expected = ex.answer()
    exp_arr = np.asarray(expected, np.float64)
    got = None
    if value is not None and ex.call is not None:
        if not callable(value):
            fb = Feedback(ex.id, "unreadable", None, expected, None, None,
                          f"Exercise {ex.id}: this exercise asks for a function, got {type(value).__name__}")
            return _record(fb, quiet)
        try:
            value = np.asarray(ex.call(value), np.float64)
        except Exception as err:  # noqa: BLE001 - the student's function may fail in any way
            fb = Feedback(ex.id, "unreadable", None, expected, None, None,
                          f"Exercise {ex.id}: your function raised {type(err).__name__}: {err}")
            return _record(fb, quiet)
    if value is None:
        fb = Feedback(ex.id, "not answered", None, expected, None, None,
                      f"Exercise {ex.id}: not answered yet (replace None by your "
                      f"{'function' if ex.call else 'value'} and run the cell again)")
    else:
        try:
            if isinstance(value, (str, bytes)):  # np.asarray would parse "0.35": a number must be a number
                raise TypeError(value)
            got = np.asarray(value, np.float64)
            if got.dtype.kind != "f" or not np.all(np.isfinite(got)) or got.shape not in (exp_arr.shape, (1,) * exp_arr.ndim):
                raise ValueError
            got = np.broadcast_to(got, exp_arr.shape)
        except (TypeError, ValueError):
            shape = "a number" if exp_arr.ndim == 0 else f"an array of shape {exp_arr.shape}"
            fb = Feedback(ex.id, "unreadable", None, expected, None, None,
                          f"Exercise {ex.id}: cannot read {value!r} (expected {shape}, finite)")
        else:
            fb = _compare(ex, got, exp_arr, expected)
    return _record(fb, quiet)


def _record(fb: Feedback, quiet: bool) -> Feedback:
    _HISTORY.append(fb)
    if not quiet:
        print(fb.message)
    return fb


def _rough(x: float) -> str:
    """``x`` to one significant digit (what feedback may say about a size)."""
    return f"{float(f'{x:.1g}'):g}"


def _size_text(got: float, exact: float) -> str:
    """Direction and rough size of a miss, without the exact value."""
    if exact == 0:
        return f"{'too high' if got > 0 else 'too low'} (the answer is smaller in size than yours)"
    if np.sign(got) != np.sign(exact) and got != 0:
        return "the wrong sign"
    ratio = got / exact
    direction = "too high" if got > exact else "too low"
    if ratio >= 2:
        return f"{direction}: about {_rough(ratio)} times the answer"
    if 0 < ratio <= 0.5:
        return f"{direction}: about 1/{_rough(1 / ratio)} of the answer"
    percent = abs(ratio - 1) * 100
    return f"{direction}, by about {_rough(percent)}%" if percent >= 1 else f"{direction}, by less than 1%"


_GENERIC_MISTAKES = (
    (lambda e: 2 * e, "twice the answer: D where D/2 belongs, or a missing factor 1/2?"),
    (lambda e: e / 2, "half the answer: D/2 where D belongs, or an extra factor 1/2?"),
    (lambda e: e * np.sqrt(2), "sqrt(2) times the answer: D where D/2 belongs under a square root?"),
    (lambda e: e / np.sqrt(2), "the answer divided by sqrt(2): D/2 where D belongs under a square root?"),
    (lambda e: e**2, "the square of the answer: a missing square root (a variance where a standard deviation belongs)?"),
    (lambda e: np.sqrt(np.abs(e)) * np.sign(e), "the square root of the answer: an extra square root?"),
    (lambda e: -e, "the answer with the opposite sign: check the sign of each term."),
)


def _hint(ex: Exercise, got: np.ndarray, exp_arr: np.ndarray) -> str:
    def near(candidate) -> bool:
        cand = np.asarray(candidate, np.float64)
        return cand.shape == exp_arr.shape and bool(np.all(np.abs(got - cand) <= 1e-3 * np.abs(cand) + ex.atol + 1e-12))

    for text, solve in ex.mistakes:
        try:
            if near(solve()):
                return " Hint: " + text
        except Exception:  # noqa: BLE001 - a hint that cannot be computed is no hint
            continue
    for transform, text in _GENERIC_MISTAKES:
        cand = transform(exp_arr)
        if not np.allclose(cand, exp_arr, rtol=1e-3) and near(cand):
            return " Hint: your value is " + text
    return ""


def _compare(ex: Exercise, got: np.ndarray, exp_arr: np.ndarray, expected) -> Feedback:
    diff = got - exp_arr
    bound = ex.atol + ex.rtol * np.abs(exp_arr)
    i = np.unravel_index(np.argmax(np.abs(diff)), diff.shape) if diff.ndim else ()
    err = float(diff[i])
    ref = float(np.abs(exp_arr[i]))
    rel = err / ref if ref > 0 else (0.0 if err == 0 else float("inf"))
    shown = float(got) if got.ndim == 0 else got.copy()
    where = f" at index {i[0] if len(i) == 1 else i}" if diff.ndim else ""
    if np.all(np.abs(diff) <= bound):
        return Feedback(ex.id, "right", shown, expected, err, rel, f"Exercise {ex.id}: right.")
    size = _size_text(float(got[i]), float(exp_arr[i]))
    msg = (f"Exercise {ex.id}: not yet{where}: {size}. (Right means within {ex.tolerance_text()}.)"
           + _hint(ex, got, exp_arr))
    return Feedback(ex.id, "off", shown, expected, err, rel, msg)


def score(lesson: int) -> None:
    """Print the lesson's score from the latest feedback of each of its exercises ("3/4 right")."""
    latest = {fb.exercise_id: fb for fb in _HISTORY}
    ids = [e.id for e in exercises_of(lesson)]
    right = [i for i in ids if i in latest and latest[i].correct]
    missing = [i for i in ids if i not in latest or latest[i].status == "not answered"]
    wrong = [i for i in ids if i not in right and i not in missing]
    parts = [f"Lesson {lesson}: {len(right)}/{len(ids)} right"]
    if wrong:
        parts.append(f"not yet right: {', '.join(wrong)}")
    if missing:
        parts.append(f"not answered: {', '.join(missing)}")
    print("; ".join(parts) + ".")


def history() -> list[Feedback]:
    """Every feedback given in this process, oldest first (the tests read it after running a lesson)."""
    return list(_HISTORY)


def reset_history() -> None:
    _HISTORY.clear()


# ------------------------------------------------------------------------------------------------
# Lesson 0: a first VAE on the digits (two code exercises and one number)
# ------------------------------------------------------------------------------------------------

_M = np.array([0.5, -1.0, 0.0, 2.0])
_S = np.array([0.25, 1.0, 2.0, 0.5])
_EPS = np.array([1.0, -0.5, 0.3, -2.0])


def _reference_kl(m, s):
    import jax.numpy as jnp

    return 0.5 * jnp.sum(jnp.square(m)) + 0.5 * jnp.sum(s - 1.0 - jnp.log(s))


def _reference_sampler(m, s, eps):
    import jax.numpy as jnp

    return m + jnp.sqrt(s) * eps


_REFERENCES = {"0.1": _reference_kl, "0.2": _reference_sampler}


def reference(exercise_id: str):
    """The package's own function for a code exercise (what a lesson uses until the student's is right)."""
    return _REFERENCES[str(exercise_id)]


def yours_or_reference(exercise_id: str, yours):
    """``yours`` if its latest check was right, else the package's function (prints which is used)."""
    latest = [fb for fb in _HISTORY if fb.exercise_id == str(exercise_id)]
    if yours is not None and latest and latest[-1].correct:
        print(f"Exercise {exercise_id}: the model uses your function.")
        return yours
    print(f"Exercise {exercise_id}: the model uses the package's function until yours is checked right.")
    return reference(exercise_id)


@_register("0.1", "Write a function kl_to_prior(m, s) that returns KL(N(m, diag s) || N(0, I)) in nats for one "
           "example: m holds the posterior means and s the posterior VARIANCES of the latent coordinates "
           "(use jax.numpy, written jnp, so that the model can use it inside its compiled loss).",
           ("NL26.KL",), "toyvae.theory.linear_gaussian.kl_standard_normal(m, s).total on fixed inputs", 1e-5,
           "float32 arithmetic in jax.numpy agrees with float64 to about 1e-6 relative",
           call=lambda f: f(_M, _S),
           mistakes=(("the log s term has the wrong sign: KL = 1/2 sum(m^2 + s - 1 - log s).",
                      lambda: 0.5 * np.sum(_M**2 + _S - 1 + np.log(_S))),
                     ("the m^2 term is missing: the KL also grows as the means leave 0.",
                      lambda: 0.5 * np.sum(_S - 1 - np.log(_S))),
                     ("s is a variance: did you square it (or take exp of it) as if it were a standard "
                      "deviation or a log-variance?", lambda: 0.5 * np.sum(_M**2 + _S**2 - 1 - np.log(_S**2)))))
def _e01():
    from toyvae.theory import linear_gaussian as lg

    return lg.kl_standard_normal(_M, _S).total


@_register("0.2", "Write a function sample_latent(m, s, eps) that turns standard normal noise eps into a sample "
           "of N(m, diag s), s the VARIANCES, by the reparameterisation trick (jnp, elementwise).",
           ("BS20.T2tab",), "the reparameterisation m + sqrt(s) eps on fixed inputs", 1e-5,
           "float32 arithmetic in jax.numpy agrees with float64 to about 1e-6 relative",
           call=lambda f: f(_M, _S, _EPS),
           mistakes=(("s is a variance: the noise is scaled by the standard deviation, its square root.",
                      lambda: _M + _S * _EPS),
                     ("the noise must be scaled, not the mean.", lambda: _M * np.sqrt(_S) + _EPS),))
def _e02():
    return _M + np.sqrt(_S) * _EPS


@_register("0.3", "A decoder with fixed sigma = 0.15 reconstructs an 8 x 8 digit (D = 64 pixels) with a squared "
           "error of 0.01 per pixel. What is the reconstruction term -log p(x|z) = |x - f(z)|^2 / (2 sigma^2) "
           "+ (D/2) log(2 pi sigma^2), in nats?",
           ("BS20.T2tab",), "toyvae.theory.likelihoods.gaussian_nll at a residual of squared norm 64 * 0.01, sigma 0.15",
           1e-4, "closed form; 1e-4 relative admits a hand or calculator answer to five significant digits")
def _e03():
    from toyvae.theory import likelihoods

    return likelihoods.gaussian_nll(np.array([np.sqrt(64 * 0.01)] + [0.0] * 63), np.zeros(64), 0.15)


# ------------------------------------------------------------------------------------------------
# Lesson 1: the Gaussian likelihood, squared error and sigma
# ------------------------------------------------------------------------------------------------

_CLOSED = "closed form; 1e-4 relative admits a hand or calculator answer to five significant digits"


@_register("1.2", "A VAE is trained with the squared error AVERAGED over the D = 784 pixels of an image "
           "(and a KL term of weight 1). Which decoder standard deviation sigma does this loss imply?",
           ("BS20.S32-mse",), "toyvae.theory.likelihoods.sigma_for_squared_error(reduction='mean', D=784)",
           1e-4, _CLOSED)
def _e11():
    from toyvae.theory import likelihoods

    return likelihoods.sigma_for_squared_error(reduction="mean", D=784)


@_register("1.3", "Another VAE is trained with the SUMMED squared error plus 4 times the KL (a beta-VAE with "
           "beta = 4). Which sigma' has the plain VAE (KL weight 1) with the same minimisers?",
           ("BS20.S32-mse", "BS20.S32"),
           "toyvae.theory.likelihoods: sigma_for_kl_weight(sigma_for_squared_error(reduction='sum'), 4)",
           1e-4, _CLOSED)
def _e12():
    from toyvae.theory import likelihoods

    return likelihoods.sigma_for_kl_weight(likelihoods.sigma_for_squared_error(reduction="sum"), 4.0)


@_register("1.1", "With D = 16 coordinates and sigma = 0.5, the Gaussian NLL minus SE / (2 sigma^2) is the "
           "same for every decoder mean. What is this constant, in nats?",
           ("QA.1",), "toyvae.theory.likelihoods.gaussian_nll(x, x, 0.5) for any x in R^16 (zero squared error)",
           1e-4, _CLOSED)
def _e13():
    from toyvae.theory import likelihoods

    x = np.zeros(16)
    return likelihoods.gaussian_nll(x, x, 0.5)


@_register("1.4", "A decoder leaves a squared error of 0.02 per coordinate on D = 100 coordinates. With the best "
           "scalar sigma, what is the reconstruction term -E log p(x|z), in nats per data point?",
           ("SL.Sigma",), "toyvae.theory.likelihoods.profiled_gaussian_nll(mse=0.02, D=100)", 1e-4, _CLOSED)
def _e14():
    from toyvae.theory import likelihoods

    return likelihoods.profiled_gaussian_nll(0.02, 100)


# ------------------------------------------------------------------------------------------------
# Lesson 2: posterior collapse on the sphere
# ------------------------------------------------------------------------------------------------


@_register("2.1", "Data uniform on the sphere of radius R = 1 in D = 8 dimensions, fixed decoder sigma. Above "
           "which sigma is the best decoder-mean radius r* exactly 0 (the sharp threshold)?",
           ("BS20.T1-sharp",), "toyvae.theory.hypersphere.sharp_threshold(R=1, D=8)", 1e-4, _CLOSED)
def _e21():
    from toyvae.theory import hypersphere

    return hypersphere.sharp_threshold(1.0, 8)


@_register("2.2", "Same sphere (R = 1, D = 8) and sigma = 0.36, inside the window between R/sqrt(D) and "
           "R/sqrt(D-1). What is the curvature d^2/dr^2 log p(x; r) at r = 0? (Its sign decides the remark "
           "after Theorem 1.)",
           ("BS20.R1", "BS20.T1"),
           "the curvature (R^2/(D sigma^2) - 1)/sigma^2 derived in proofs/bs20_t1.py, lambdified",
           1e-4, _CLOSED)
def _e22():
    import sympy as sp

    from toyvae.proofs import bs20_t1

    expr = bs20_t1.derive().results["curvature_at_zero"]
    f = sp.lambdify((bs20_t1.R, bs20_t1.sigma, sp.Symbol("D", positive=True)), expr, modules="numpy")
    return f(1.0, 0.36, 8)


@_register("2.3", "Same sphere (R = 1, D = 8) and sigma = 0.2. What is the optimal radius r* of the decoder "
           "means (the maximiser of eq. 8 over r >= 0)?",
           ("BS20.T1-sharp",), "toyvae.theory.hypersphere.optimal_radius(R=1, sigma=0.2, D=8)", 1e-3,
           "a grid search over r at spacing 1e-3 R, or any root finder, lands within 1e-3 relative")
def _e23():
    from toyvae.theory import hypersphere

    return hypersphere.optimal_radius(1.0, 0.2, 8)


@_register("2.4", "Same setting (R = 1, D = 8, sigma = 0.2). How many nats per data point does the best sphere "
           "of means gain over the collapsed decoder (r = 0), i.e. log p(x; r*) - log p(x; 0)?",
           ("BS20.T1", "BS20.T1-sharp"),
           "toyvae.theory.hypersphere.log_marginal(optimal_radius(1, 0.2, 8), R=1, sigma=0.2, D=8)", 1e-4,
           "the maximum is flat: an r within 1e-3 R of r* changes the gain by about 2e-6 relative")
def _e24():
    from toyvae.theory import hypersphere

    return hypersphere.log_marginal(hypersphere.optimal_radius(1.0, 0.2, 8), 1.0, 0.2, 8)


# ------------------------------------------------------------------------------------------------
# Lesson 3: learned decoder variance on the 2-D toy
# ------------------------------------------------------------------------------------------------


def _toy_noise() -> np.ndarray:
    from toyvae.data.synthetic import HeteroscedasticCurve

    return np.asarray(HeteroscedasticCurve().noise, np.float64)


_TOY = ("Suppose the decoder mean were exactly the noiseless curve of the 2-D toy "
        "(toyvae.data.synthetic.HeteroscedasticCurve: D = 2, isotropic noise of std 0.05, 0.01, 0.1 in three "
        "equally likely regions). ")


@_register("3.1", _TOY + "Which scalar sigma does an LS-VAE learn at the optimum of eq. 10?",
           ("BS20.L-VAE",), "toyvae.theory.likelihoods.optimal_scalar_sigma(D * mean(noise^2), D) with D = 2", 1e-4, _CLOSED)
def _e31():
    from toyvae.theory import likelihoods

    return likelihoods.optimal_scalar_sigma(2 * np.mean(_toy_noise() ** 2), 2)


@_register("3.2", _TOY + "What is the LS-VAE's reconstruction term -E log p(x|z) at that sigma, in nats per point?",
           ("BS20.L-VAE", "SL.Sigma"), "toyvae.theory.likelihoods.profiled_gaussian_nll(mean(noise^2), D=2)", 1e-4, _CLOSED)
def _e32():
    from toyvae.theory import likelihoods

    return likelihoods.profiled_gaussian_nll(np.mean(_toy_noise() ** 2), 2)


@_register("3.3", _TOY + "An LV-VAE can set sigma to each region's own noise. What is its reconstruction term, "
           "averaged over the regions, in nats per point?",
           ("BS20.T1tab", "BS20.F4"), "mean over regions of toyvae.theory.likelihoods.profiled_gaussian_nll(noise_r^2, D=2)",
           1e-4, _CLOSED)
def _e33():
    from toyvae.theory import likelihoods

    return float(np.mean(likelihoods.profiled_gaussian_nll(_toy_noise() ** 2, 2)))


@_register("3.4", _TOY + "An F-VAE with sigma fixed at 0.1 has what reconstruction term, in nats per point?",
           ("BS20.T1tab",),
           "toyvae.theory.likelihoods.gaussian_nll at a residual of squared norm D * mean(noise^2), sigma = 0.1", 1e-4, _CLOSED)
def _e34():
    from toyvae.theory import likelihoods

    residual = np.array([np.sqrt(2 * np.mean(_toy_noise() ** 2)), 0.0])
    return likelihoods.gaussian_nll(residual, np.zeros(2), 0.1)


# ------------------------------------------------------------------------------------------------
# Lesson 4: the linear-Gaussian VAE
# ------------------------------------------------------------------------------------------------


@_register("4.1", "A latent direction has metric coefficient c = 2 and the KL weight is beta = 0.5. What is "
           "the optimal posterior variance s* (NL26 eq. 46)?",
           ("NL26.T46",), "toyvae.theory.linear_gaussian.optimal_posterior_variance(c=2, beta=0.5)", 1e-4, _CLOSED)
def _e41():
    from toyvae.theory import linear_gaussian as lg

    return lg.optimal_posterior_variance(2.0, 0.5)


@_register("4.2", "Metric coefficients c = (0.25, 1, 4). Which beta makes the optimal variance-KL "
           "sum_i g(s*_i) equal to 2 nats (NL26 Theorem 41)?",
           ("NL26.T41",), "toyvae.theory.linear_gaussian.beta_for_variance_kl(c=(0.25, 1, 4), target=2)", 1e-5,
           "a bisection or Brent root of V(beta) - 2 to 1e-6 relative in beta")
def _e42():
    from toyvae.theory import linear_gaussian as lg

    return lg.beta_for_variance_kl(np.array([0.25, 1.0, 4.0]), 2.0)


@_register("4.3", f"Data from {SOURCE_NAME}, squared error (G = I), beta = 0.1. What is the rate (nats) of "
           "the optimal linear-Gaussian VAE?",
           ("SL.RD",), "toyvae.theory.rate_distortion.reverse_water_filling(spectrum, water_level(0.1)).rate", 1e-4, _CLOSED)
def _e43():
    from toyvae.theory import rate_distortion as rd

    return rd.reverse_water_filling(_spectrum(), rd.water_level(0.1)).rate


@_register("4.4", "Same source and beta = 0.1: what is the optimal VAE's expected distortion (summed squared "
           "error, no factor 1/2)?",
           ("SL.RD",), "toyvae.theory.rate_distortion.reverse_water_filling(spectrum, water_level(0.1)).distortion", 1e-4, _CLOSED)
def _e44():
    from toyvae.theory import rate_distortion as rd

    return rd.reverse_water_filling(_spectrum(), rd.water_level(0.1)).distortion


@_register("4.5", "Same source: what is the rate-distortion function R(D) at D = 0.5, in nats?",
           ("SL.RD", "NL26.T11"), "toyvae.theory.rate_distortion.rate_distortion(spectrum, 0.5)", 1e-5,
           "the water level is found by a root finder or by hand on the sorted spectrum; 1e-5 relative")
def _e45():
    from toyvae.theory import rate_distortion as rd

    return rd.rate_distortion(_spectrum(), 0.5)


# ------------------------------------------------------------------------------------------------
# Lesson 5: ELBO surgery and the aggregated posterior
# ------------------------------------------------------------------------------------------------

_ONE_D = ("One-dimensional linear VAE: x ~ N(0, v) with v = 2, encoder q(z|x) = N(a x, s) with a = 0.5 and "
          "s = 0.3, prior N(0, 1). ")


def _one_d_parts(a=0.5, s=0.3, v=2.0):
    from toyvae.theory import rate_distortion as rd

    params = rd.LinearVAEParams(A=np.array([[a]]), s=np.array([s]), W=np.array([[1.0]]))
    return rd.linear_vae_parts(params, np.array([[v]]), np.eye(1))


@_register("5.1", _ONE_D + "What is the rate E_x KL(q(z|x) || p(z)), in nats?",
           ("SL.Surgery",), "toyvae.theory.rate_distortion.linear_vae_parts(...).rate", 1e-4, _CLOSED)
def _e51():
    return _one_d_parts().rate


@_register("5.2", _ONE_D + "What is the mutual information I_q(x; z), in nats?",
           ("SL.Surgery", "MB.MI"), "toyvae.theory.rate_distortion.linear_vae_parts(...).mutual_information", 1e-4, _CLOSED)
def _e52():
    return _one_d_parts().mutual_information


@_register("5.3", _ONE_D + "What is KL(q(z) || p(z)), the aggregated posterior's distance to the prior, in nats?",
           ("SL.Surgery", "SL.AggPost"), "toyvae.theory.rate_distortion.linear_vae_parts(...).aggregate_kl", 1e-4,
           "closed form; 1e-4 relative (the value is small: keep five significant digits, not five decimals)")
def _e53():
    return _one_d_parts().aggregate_kl


@_register("5.4", "x ~ N(0, 2), squared error, beta = 1. What posterior variance s has the OPTIMAL linear VAE "
           "with one latent?",
           ("SL.AggPost",), "toyvae.theory.rate_distortion.optimal_linear_vae([[2]], [[1]], beta=1).s", 1e-4, _CLOSED)
def _e54():
    from toyvae.theory import rate_distortion as rd

    return float(rd.optimal_linear_vae(np.array([[2.0]]), np.eye(1), 1.0).s[0])


@_register("5.5", "Same optimal VAE (x ~ N(0, 2), beta = 1): what is its rate, in nats? (Compare with its "
           "mutual information.)",
           ("MB.MI", "SL.AggPost"), "toyvae.theory.rate_distortion.linear_vae_parts(optimal_linear_vae(...)).rate", 1e-4, _CLOSED)
def _e55():
    from toyvae.theory import rate_distortion as rd

    Sigma = np.array([[2.0]])
    return rd.linear_vae_parts(rd.optimal_linear_vae(Sigma, np.eye(1), 1.0), Sigma, np.eye(1)).rate


# ------------------------------------------------------------------------------------------------
# Lesson 6: distortion targets and neural losses
# ------------------------------------------------------------------------------------------------


def _beta_for_distortion(gamma: float) -> float:
    from toyvae.theory import rate_distortion as rd
    from toyvae.theory.successive import water_level_for_distortion

    theta = water_level_for_distortion(_spectrum(), gamma)
    return float(theta / rd.water_level(1.0))  # the package's convention theta = beta / 2 is linear in beta


@_register("6.1", f"Data from {SOURCE_NAME}, squared error. A distortion target gamma = 0.3 is met by the "
           "optimal linear VAE of which beta?",
           ("MB.Lag",), "2 * toyvae.theory.successive.water_level_for_distortion(spectrum, 0.3) (theta = beta / 2)", 1e-4,
           "the water level is exact on the sorted spectrum; 1e-4 relative")
def _e61():
    return _beta_for_distortion(0.3)


@_register("6.2", "At that fixed point, what is the Lagrange multiplier lambda of the distortion-targeted "
           "objective (1 - lambda) R + lambda D?",
           ("MB.Lag",), "1 / (1 + beta) with beta from exercise 6.1 (beta = (1 - lambda) / lambda)", 1e-4, _CLOSED)
def _e62():
    return 1.0 / (1.0 + _beta_for_distortion(0.3))


@_register("6.3", "Same source: what is the rate (nats) at distortion gamma = 0.3?",
           ("MB.Lag", "SL.RD"), "toyvae.theory.rate_distortion.rate_distortion(spectrum, 0.3)", 1e-4, _CLOSED)
def _e63():
    from toyvae.theory import rate_distortion as rd

    return rd.rate_distortion(_spectrum(), 0.3)


@_register("6.4", "Same source, beta = 0.05, and the loss lambda d_F + (1 - lambda) d_pix with lambda = 0.5 and "
           "F the first-difference (edge) features of experiments.linear_vae.difference_features(6). What rate "
           "(nats) has the optimal linear VAE?",
           ("NL26.C1",),
           "toyvae.theory.rate_distortion: reverse_water_filling(metric_weighted_spectrum(Sigma, "
           "lambda_metric(0.5, F)), water_level(0.05)).rate",
           1e-4, _CLOSED)
def _e64():
    from toyvae.experiments.linear_vae import difference_features, lambda_metric
    from toyvae.theory import rate_distortion as rd

    G = lambda_metric(0.5, difference_features(COURSE_N))
    return rd.reverse_water_filling(rd.metric_weighted_spectrum(course_source(), G), rd.water_level(0.05)).rate


@_register("6.5", "Metric coefficients c = (0.25, 1, 4) and beta = 0.5: what is the posterior anisotropy "
           "A_post = Var_i log s*_i (population variance) of the optimal posterior variances?",
           ("NL26.C2", "NL26.Iso"),
           "toyvae.theory.linear_gaussian.posterior_anisotropy(optimal_posterior_variance(c, 0.5))", 1e-4, _CLOSED)
def _e65():
    from toyvae.theory import linear_gaussian as lg

    return lg.posterior_anisotropy(lg.optimal_posterior_variance(np.array([0.25, 1.0, 4.0]), 0.5))
