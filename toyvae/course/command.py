"""``toyvae course``: list the lessons, write a lesson for students or teachers, check an answer.

    toyvae course [list]                          the lessons: number, title, claims, run times
    toyvae course write N|all --out DIR [--solutions] [--force]
                                                  the student version (default) or the solution version
                                                  of lesson N (or of every lesson) as .py files in DIR
    toyvae course check ID VALUE [VALUE ...]      grade a student's value for exercise ID

Exit codes: 0 done (``check``: right), 1 (``check`` only) the value is off or unreadable, 2 a mistake
on the command line (an unknown lesson or exercise, a folder that cannot be written), reported in one
line before anything is written.

The parser is built by :func:`add_parser` into the ``toyvae`` parser of :mod:`toyvae.cli`; :func:`run`
executes the parsed arguments and raises :class:`CourseUsageError` for the mistakes (``toyvae.cli``
prints them in one line with exit code 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["CourseUsageError", "add_parser", "run"]


class CourseUsageError(Exception):
    """A mistake on the ``toyvae course`` command line (one line, exit code 2)."""


def add_parser(subparsers, parser_class) -> argparse.ArgumentParser:
    """Add ``course`` and its actions to ``subparsers`` (the ``toyvae`` subcommands)."""
    course = subparsers.add_parser(
        "course", help="the VAE course: list the lessons, write a lesson (student or solution version), check an answer")
    actions = course.add_subparsers(dest="course_action", metavar="ACTION", parser_class=parser_class)
    actions.add_parser("list", help="the lessons: number, title, claims, run times (the default action)")
    write = actions.add_parser("write", help="write a lesson as a percent-format .py file (a notebook through jupytext)")
    write.add_argument("lesson", metavar="N|all", help="a lesson number, or 'all'")
    write.add_argument("--out", metavar="DIR", type=Path, required=True, help="folder to write into (created if missing)")
    write.add_argument("--solutions", action="store_true", help="the solution version (default: the student version)")
    write.add_argument("--force", action="store_true",
                       help="overwrite lesson files that exist (default: refuse, so that a student's edits are kept)")
    check = actions.add_parser("check", help="grade a value for an exercise against the package's closed forms")
    check.add_argument("exercise", metavar="ID", help="an exercise id such as 2.3")
    check.add_argument("value", metavar="VALUE", nargs="+", help="your number (several for a vector answer)")
    return course


def run(args: argparse.Namespace) -> int:
    """Execute a parsed ``toyvae course`` command line; :class:`CourseUsageError` for a user's mistake."""
    action = getattr(args, "course_action", None) or "list"
    if action == "list":
        return _list()
    if action == "write":
        return _write(args.lesson, args.out, solutions=args.solutions, force=args.force)
    return _check(args.exercise, args.value)


def _list() -> int:
    from toyvae.course import LESSONS, exercises_of

    for les in LESSONS:
        ids = ", ".join(e.id for e in exercises_of(les.number))
        print(f"{les.number}. {les.title}")
        print(f"   claims: {', '.join(les.claims)}")
        print(f"   exercises: {ids}")
        print(f"   run time: about {_duration(les.normal_seconds)} (quick mode {_duration(les.quick_seconds)}); "
              f"python -m {les.dotted}")
    print("\nWrite one: toyvae course write N --out DIR [--solutions]   (or: write all)")
    return 0


def _duration(seconds: int) -> str:
    return f"{seconds} s" if seconds < 120 else f"{round(seconds / 60)} min"


def _write(which: str, out: Path, *, solutions: bool, force: bool = False) -> int:
    from toyvae.cli._args import folder_problem
    from toyvae.course import LESSONS, UnknownLessonError, lesson, write_lesson

    if which.strip().lower() == "all":
        chosen = list(LESSONS)
    else:
        try:
            chosen = [lesson(which)]
        except UnknownLessonError as err:
            raise CourseUsageError(f"write: {err}, or 'all'") from None
    if problem := folder_problem(out):  # creates the folder when it is missing
        raise CourseUsageError(f"write: --out: {problem}")
    if not force:  # refuse before writing anything: a student's edited lesson is never overwritten
        from toyvae.course import lesson_file_name

        existing = [out / lesson_file_name(les, solutions=solutions) for les in chosen
                    if (out / lesson_file_name(les, solutions=solutions)).exists()]
        if existing:
            names = ", ".join(p.name for p in existing[:3]) + (f" and {len(existing) - 3} more" if len(existing) > 3 else "")
            raise CourseUsageError(f"write: {names} already in {out} (perhaps edited by a student); "
                                   "--force overwrites, or choose another --out")
    for les in chosen:
        path = write_lesson(les.number, out, solutions=solutions, force=force)
        print(f"wrote {path} (lesson {les.number}, {'solution' if solutions else 'student'} version)")
    return 0


def _check(exercise_id: str, values: list[str]) -> int:
    import numpy as np

    from toyvae.course.exercises import EXERCISES, check

    if exercise_id not in EXERCISES:
        raise CourseUsageError(f"check: no exercise {exercise_id!r} (exercises: {', '.join(EXERCISES)})")
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        raise CourseUsageError(f"check: VALUE must be numbers, got {' '.join(values)!r}") from None
    value = numbers[0] if len(numbers) == 1 else np.array(numbers)
    return 0 if check(exercise_id, value).correct else 1
