"""A course on VAEs built on the package's exact examples: lessons, exercises and their checker.

Each lesson (:data:`LESSONS`) is one percent-format Python file under ``toyvae/course/lessons/``: it
opens as a notebook through jupytext and runs as a plain script without it
(``python -m toyvae.course.lessons.lesson2_sphere_collapse``). It states the idea, prints the asserted
steps of the relevant ``proofs/`` derivation, trains or evaluates small models, saves a figure
(``TOYVAE_COURSE_OUT``, default ``./course_out``) and asks exercises that :func:`check` grades against
the closed forms of :mod:`toyvae.theory`. ``TOYVAE_COURSE_QUICK=1`` shrinks every run to seconds.

The solutions live in the same file between ``# BEGIN SOLUTION`` and ``# END SOLUTION``;
:func:`write_lesson` writes the student version (solutions replaced by ``None`` placeholders) or the
solution version. The command line is ``toyvae course`` (``list``, ``write``, ``check``).

Importing this package runs no lesson.
"""

from __future__ import annotations

from pathlib import Path

from toyvae.course.catalogue import LESSONS, Lesson, UnknownLessonError, lesson
from toyvae.course.exercises import EXERCISES, Exercise, Feedback, ask, check, exercise, exercises_of
from toyvae.course.source import LessonFormatError, solution_version, student_version

__all__ = [
    "LESSONS",
    "Lesson",
    "lesson",
    "UnknownLessonError",
    "EXERCISES",
    "Exercise",
    "Feedback",
    "ask",
    "check",
    "exercise",
    "exercises_of",
    "LessonFormatError",
    "student_version",
    "solution_version",
    "lesson_file_name",
    "render_lesson",
    "write_lesson",
    "LessonExistsError",
]


def lesson_file_name(les: Lesson, *, solutions: bool = False) -> str:
    """``lesson3_learned_sigma.py`` for students, ``lesson3_learned_sigma_solution.py`` for teachers."""
    return f"{les.module}_solution.py" if solutions else f"{les.module}.py"


def render_lesson(number, *, solutions: bool = False) -> str:
    """The student (default) or solution version of a lesson, as percent-format source text.

    Both open with the lesson's goals, prerequisites and CPU time, and show each exercise's question
    as markdown above its cell (the lesson file itself prints it with ``ask`` when run as a script).
    """
    from toyvae.course.exercises import question_markdown
    from toyvae.course.source import insert_after_first_cell, questions_in_markdown

    les = lesson(number)
    text = questions_in_markdown(les.source(), question_markdown)
    text = solution_version(text) if solutions else student_version(text)
    return insert_after_first_cell(text, les.intro_markdown())


class LessonExistsError(FileExistsError):
    """``write_lesson`` would overwrite a file (perhaps a student's edited lesson); pass ``force=True``."""


def write_lesson(number, folder, *, solutions: bool = False, force: bool = False) -> Path:
    """Write one lesson's student or solution version into ``folder`` (which must exist); return its path.

    Raises:
        LessonExistsError: the file exists and ``force`` is False (nothing is written).
    """
    les = lesson(number)
    path = Path(folder) / lesson_file_name(les, solutions=solutions)
    if path.exists() and not force:
        raise LessonExistsError(f"{path} exists (perhaps a student's edited copy); use --force to overwrite it")
    path.write_text(render_lesson(les.number, solutions=solutions), encoding="utf-8")
    return path
