"""The lessons of the course: number, source file, title, claims, run times.

Importing this module imports no lesson (a lesson runs top to bottom when executed, training
included); a lesson's source is read as text from ``toyvae/course/lessons/``.

The run times are what each lesson took as a script in a fresh process (``python -m``; JAX's
compilation included) on the 2-core development machine while other training kept both cores busy
(load average 3 to 8), rounded up: upper bounds for a laptop. ``quick`` is with
``TOYVAE_COURSE_QUICK=1``, ``normal`` without it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

__all__ = ["Lesson", "LESSONS", "lesson", "UnknownLessonError", "LESSON_DIR"]

LESSON_DIR = Path(__file__).resolve().parent / "lessons"


class UnknownLessonError(LookupError):
    """No lesson with that number; the message lists the valid ones."""


@dataclasses.dataclass(frozen=True)
class Lesson:
    """One lesson.

    Attributes:
        number: 1, 2, ...
        module: the file name without ``.py`` (``lesson3_learned_sigma``), under ``toyvae/course/lessons/``.
        title: the heading of its first cell.
        claims: the claim ids it teaches (``toyvae verify --only ...`` shows the package's verdicts).
        quick_seconds, normal_seconds: measured run times (module docstring).
        goals: what a student can do after the lesson (one line each).
        prerequisites: what the lesson assumes.
    """

    number: int
    module: str
    title: str
    claims: tuple[str, ...]
    quick_seconds: int
    normal_seconds: int
    goals: tuple[str, ...] = ()
    prerequisites: str = ""

    def intro_markdown(self) -> str:
        """The cell every rendered lesson opens with after its title: goals, prerequisites, CPU time."""
        lines = ["# %% [markdown]", "# **Goals.** After this lesson you can:", "#"]
        lines += [f"# * {goal}" for goal in self.goals]
        lines += ["#", f"# **Prerequisites.** {self.prerequisites}", "#",
                  f"# **CPU time.** About {_duration(self.normal_seconds)} on a laptop "
                  f"({_duration(self.quick_seconds)} with `TOYVAE_COURSE_QUICK=1`, numbers not converged)."]
        return "\n".join(lines) + "\n"

    @property
    def path(self) -> Path:
        return LESSON_DIR / f"{self.module}.py"

    def source(self) -> str:
        """The lesson's single source file (percent format, solutions marked)."""
        return self.path.read_text(encoding="utf-8")

    @property
    def dotted(self) -> str:
        """``python -m`` name of the lesson."""
        return f"toyvae.course.lessons.{self.module}"


_NUMPY = "Python and numpy; "

LESSONS: tuple[Lesson, ...] = (
    Lesson(0, "lesson0_first_vae", "A first VAE on handwritten digits: the ELBO and the reparameterisation trick",
           ("NL26.KL", "BS20.T2tab"), 15, 45,
           ("write the negative ELBO of a Gaussian VAE: a reconstruction term and a KL term",
            "sample a latent code with the reparameterisation trick, so that gradients reach the encoder",
            "train a small VAE with the package's engine and read its reconstructions and samples"),
           _NUMPY + "what a neural network and gradient descent are. No VAE knowledge needed."),
    Lesson(1, "lesson1_likelihood", "The Gaussian likelihood, squared error and the decoder sigma",
           ("QA.1", "BS20.S32-mse", "BS20.S32", "SL.Sigma"), 5, 6,
           ("read off the decoder sigma that a squared-error loss hides (summed, averaged, with a KL weight)",
            "compute the Gaussian NLL's constant and the profiled reconstruction term by hand"),
           _NUMPY + "lesson 0 (or: what a VAE's ELBO is)."),
    Lesson(2, "lesson2_sphere_collapse", "Posterior collapse on the sphere and the exact threshold",
           ("BS20.T1", "BS20.T1-sharp", "BS20.R1", "BS20.F2", "BS20.T1-empirical"), 25, 90,
           ("state when a VAE with a fixed decoder sigma collapses on uniform data on a sphere",
            "find the optimal radius by a grid search and compare with the sharp threshold R/sqrt(D)"),
           _NUMPY + "lesson 1 (the decoder sigma)."),
    Lesson(3, "lesson3_learned_sigma", "Learning the decoder variance: the 2-D heteroscedastic toy",
           ("BS20.L-VAE", "BS20.T1tab", "BS20.A2", "BS20.F4"), 40, 160,
           ("derive the optimal learned scalar sigma and the profiled reconstruction term",
            "predict what fixed, scalar and per-point sigmas score, then compare with trained models"),
           _NUMPY + "lessons 1 and 2."),
    Lesson(4, "lesson4_linear_vae", "The linear-Gaussian VAE: posterior variances and rate-distortion",
           ("NL26.KL", "NL26.E44", "NL26.T46", "NL26.T41", "NL26.T46-trained", "SL.RD"), 35, 55,
           ("compute the optimal posterior variances of a linear VAE",
            "compute rate and distortion by reverse water-filling, and R(D) of a Gaussian source"),
           _NUMPY + "lesson 0; eigenvalues and Gaussian densities."),
    Lesson(5, "lesson5_elbo_surgery", "ELBO surgery and the aggregated posterior",
           ("SL.Surgery", "MB.MI", "SL.AggPost"), 25, 50,
           ("split the rate into mutual information and the aggregated posterior's KL",
            "show that the optimal linear VAE's aggregated posterior is the prior"),
           _NUMPY + "lesson 4."),
    Lesson(6, "lesson6_targets", "Distortion targets and neural losses",
           ("MB.Lag", "NL26.C1", "NL26.C2", "NL26.Iso"), 25, 50,
           ("turn a distortion target into a KL weight and a Lagrange multiplier",
            "compute how a feature (edge) loss changes the rate and the posterior anisotropy"),
           _NUMPY + "lessons 4 and 5."),
)


def _duration(seconds: int) -> str:
    return f"{seconds} s" if seconds < 120 else f"{round(seconds / 60)} min"


def lesson(number) -> Lesson:
    """The lesson with this number (an int or a string of one)."""
    try:
        n = int(str(number).strip())
    except ValueError:
        n = None
    for les in LESSONS:
        if les.number == n:
            return les
    valid = ", ".join(str(les.number) for les in LESSONS)
    raise UnknownLessonError(f"no lesson {number!r} (the lessons are {valid})")
