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
    """

    number: int
    module: str
    title: str
    claims: tuple[str, ...]
    quick_seconds: int
    normal_seconds: int

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


LESSONS: tuple[Lesson, ...] = (
    Lesson(1, "lesson1_likelihood", "The Gaussian likelihood, squared error and the decoder sigma",
           ("QA.1", "BS20.S32-mse", "BS20.S32", "SL.Sigma"), 5, 6),
    Lesson(2, "lesson2_sphere_collapse", "Posterior collapse on the sphere and the exact threshold",
           ("BS20.T1", "BS20.T1-sharp", "BS20.R1", "BS20.F2", "BS20.T1-empirical"), 25, 90),
    Lesson(3, "lesson3_learned_sigma", "Learning the decoder variance: the 2-D heteroscedastic toy",
           ("BS20.L-VAE", "BS20.T1tab", "BS20.A2", "BS20.F4"), 40, 160),
    Lesson(4, "lesson4_linear_vae", "The linear-Gaussian VAE: posterior variances and rate-distortion",
           ("NL26.KL", "NL26.E44", "NL26.T46", "NL26.T41", "NL26.T46-trained", "SL.RD"), 35, 55),
    Lesson(5, "lesson5_elbo_surgery", "ELBO surgery and the aggregated posterior",
           ("SL.Surgery", "MB.MI", "SL.AggPost"), 25, 50),
    Lesson(6, "lesson6_targets", "Distortion targets and neural losses",
           ("MB.Lag", "NL26.C1", "NL26.C2", "NL26.Iso"), 25, 50),
)


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
