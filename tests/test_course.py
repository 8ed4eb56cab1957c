"""The course (toyvae.course): every lesson runs in quick mode, in its solution and its student version;
the exercise checker against the closed forms; the lesson format; the ``toyvae course`` command."""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from toyvae.cli import main
from toyvae.course import (EXERCISES, LESSONS, exercises_of, lesson, lesson_file_name, render_lesson,
                           solution_version, student_version)
from toyvae.course import exercises as ex
from toyvae.course.source import (BEGIN, END, SOLUTION_NOTE, LessonFormatError, cells, format_problems,
                                  solution_blocks)

# ------------------------------------------------------------------------------------------------
# Every lesson runs (quick mode), makes its figures, and grades its own solutions "right"
# ------------------------------------------------------------------------------------------------


def _lesson0(ns):  # the VAE trained: the loss fell, the held-out ELBO is finite, both terms are recorded
    assert ns["history"]["loss"][-1] < ns["history"]["loss"][0]
    assert np.isfinite(ns["test_loss"]) and np.all(ns["history"]["rate"] >= 0)


def _lesson1(ns):  # the grid minimiser of rec(sigma) is sqrt(MSE), to the grid's resolution
    step = np.log(ns["sigmas"][1] / ns["sigmas"][0])  # geometric grid: relative spacing
    for mse, best in ns["grid_argmin"].items():
        assert abs(np.log(best / np.sqrt(mse))) <= step


def _lesson2(ns):  # the brute-force threshold is R/sqrt(D) to one grid step; the window run collapsed
    for D, (found, step) in ns["threshold_found"].items():
        assert abs(found - 1 / np.sqrt(D)) <= step + 1e-9, D
    window = [i for i, s in enumerate(ns["sigmas"]) if 1 / np.sqrt(2) < s < 1.0]
    assert window and np.all(ns["radius"][window] < 0.1)  # the package's collapse line, 0.1 R
    assert np.all(np.isfinite(ns["radius"]))


def _lesson3(ns):  # held-out metrics exist for every model; LV's sigma per region is positive
    for key in ("elbo", "sq_err"):
        assert ns["metrics"][key].shape == (5, len(ns["seeds"])) and np.all(np.isfinite(ns["metrics"][key]))
    assert len(ns["per_region"]) == 3 and min(ns["per_region"]) > 0


def _lesson4(ns):  # no linear VAE lies below the exact R(D) curve (a theorem, any parameters)
    from toyvae.theory import rate_distortion as rd

    for _beta, rate, distortion in ns["points"]:
        assert rate >= rd.rate_distortion(ns["spectrum"], distortion) - 1e-9


def _lesson5(ns):  # the surgery identity to rounding for every trained model; the optimum has q(z) = p(z)
    for row in ns["parts"]:
        for p in row:
            assert abs(p.rate - p.mutual_information - p.aggregate_kl) <= 1e-9 * max(1.0, p.rate)
    assert all(abs(o.aggregate_kl) <= 1e-12 for o in ns["optimum"])


def _lesson6(ns):  # NL26 claim 1 in closed form: the rate falls as the edge-loss weight grows (|F| = 1)
    assert np.all(np.diff(ns["rates_fixed_beta"]) < 0)
    assert np.all(np.isfinite(ns["a_post_matched"]))
    assert ns["history"]["distortion"].shape[:2] == (3, len(ns["seeds"]))


NUMBERS = {0: _lesson0, 1: _lesson1, 2: _lesson2, 3: _lesson3, 4: _lesson4, 5: _lesson5, 6: _lesson6}


@pytest.fixture
def quick_course(monkeypatch, tmp_path):
    """Quick mode, figures into tmp_path/figures, a fresh feedback history."""
    out = tmp_path / "figures"
    monkeypatch.setenv("TOYVAE_COURSE_QUICK", "1")
    monkeypatch.setenv("TOYVAE_COURSE_OUT", str(out))
    ex.reset_history()
    yield out
    ex.reset_history()


@pytest.mark.parametrize("number", [les.number for les in LESSONS])
def test_lesson_runs_in_both_versions(number, quick_course, tmp_path):
    les = lesson(number)
    ns = runpy.run_path(str(les.path), run_name="__main__")
    assert sorted(p.name for p in quick_course.glob("*.png")), "the lesson saved no figure"
    assert all(p.name.startswith(f"lesson{number}_") and p.stat().st_size > 2_000 for p in quick_course.glob("*.png"))
    NUMBERS[number](ns)
    graded = {fb.exercise_id: fb for fb in ex.history()}
    assert set(graded) == {e.id for e in exercises_of(number)}, "every exercise of the lesson is checked"
    wrong = [str(fb) for fb in graded.values() if not fb.correct]
    assert not wrong, wrong  # the solution (computed by hand in the lesson) agrees with the package's oracle

    # the student version runs too (same compiled programs in this process): every exercise unanswered
    ex.reset_history()
    student = tmp_path / lesson_file_name(les)
    student.write_text(render_lesson(number), encoding="utf-8")
    runpy.run_path(str(student), run_name="__main__")
    assert {fb.exercise_id: fb.status for fb in ex.history()} == {e.id: "not answered" for e in exercises_of(number)}


def test_importing_the_course_runs_no_lesson():
    import toyvae.course  # noqa: F401

    assert not [m for m in sys.modules if m.startswith("toyvae.course.lessons.lesson")]


# ------------------------------------------------------------------------------------------------
# The exercises and the checker
# ------------------------------------------------------------------------------------------------


def _as_answer(e, value):
    """What a student hands in for exercise ``e`` whose exact answer is shifted to ``value``: a number,
    or for a code exercise a function returning it."""
    return (lambda *args: value) if e.call is not None else value


def _spellings(x: float) -> set[str]:
    return {f"{x:.{d}g}" for d in range(3, 8)} | {f"{x:.{d}f}" for d in range(2, 6)}


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_checker_right_and_off_by(exercise_id, capsys):
    e = EXERCISES[exercise_id]
    exact = np.asarray(e.answer())
    tol = e.atol + e.rtol * np.abs(exact)
    assert e.reason and np.all(tol > 0)
    assert ex.check(exercise_id, _as_answer(e, exact)).correct
    assert ex.check(exercise_id, _as_answer(e, exact + 0.5 * tol)).correct  # inside the tolerance
    assert "right" in capsys.readouterr().out
    off = exact + 10 * tol  # ten tolerances too high
    fb = ex.check(exercise_id, _as_answer(e, off))
    assert fb.status == "off" and not fb.correct
    expected_error = float(np.max(10 * tol))
    assert fb.error == pytest.approx(expected_error, rel=1e-6)
    assert fb.relative == pytest.approx(expected_error / float(np.abs(exact).flat[np.argmax(10 * tol)]), rel=1e-6)
    printed = capsys.readouterr().out
    assert "not yet" in printed and "too high" in printed


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_feedback_never_shows_the_exact_answer(exercise_id, capsys):
    """Right, wrong (by 1% to 3x, either side) or a usual mistake: nothing printed or displayed holds the answer."""
    e = EXERCISES[exercise_id]
    exact = np.asarray(e.answer(), np.float64)
    tries = [exact, exact * 1.01, exact * 0.9, exact * 3, -exact, exact * 2, exact / np.sqrt(2), exact**2]
    shown = []
    for value in tries:
        fb = ex.check(exercise_id, _as_answer(e, value))
        shown += [capsys.readouterr().out, repr(fb), str(fb)]
    text = "\n".join(shown)
    for x in np.atleast_1d(exact):
        if abs(x) > 1e-12 and len(f"{abs(x):.6g}".replace(".", "").strip("0")) >= 3:  # a value with some digits
            for spelling in _spellings(float(x)):
                assert spelling not in text, (spelling, text)
    assert "expected" not in repr(fb) and "toyvae.theory" not in text  # no oracle, no library function named


@pytest.mark.parametrize("exercise_id, wrong, hint", [
    ("1.2", lambda e: e * np.sqrt(2), "square root"),
    ("1.4", lambda e: -e, "sign"),
    ("2.1", lambda e: e**2, "square root"),
    ("3.1", lambda e: 2 * e, "D/2"),
])
def test_usual_mistakes_get_a_hint(exercise_id, wrong, hint, capsys):
    ex.check(exercise_id, wrong(EXERCISES[exercise_id].answer()))
    out = capsys.readouterr().out
    assert "Hint" in out and hint in out, out


def test_code_exercises_grade_functions_and_name_their_mistakes(capsys):
    import jax.numpy as jnp

    assert ex.check("0.2", lambda m, s, eps: m + jnp.sqrt(s) * eps).correct
    fb = ex.check("0.2", lambda m, s, eps: m + s * eps)  # a variance used as a standard deviation
    assert fb.status == "off" and "square root" in capsys.readouterr().out
    assert ex.check("0.1", lambda m, s: 1 / 0).status == "unreadable"
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert ex.check("0.1", 3.0).status == "unreadable"  # a number where a function is asked for
    assert ex.check("0.1", None).status == "not answered"


def test_score_counts_the_latest_feedback(capsys):
    ex.reset_history()
    ids = [e.id for e in exercises_of(2)]
    for i in ids[:3]:
        ex.check(i, EXERCISES[i].answer())
    ex.check(ids[3], None)
    capsys.readouterr()
    ex.score(2)
    assert capsys.readouterr().out.strip() == f"Lesson 2: 3/4 right; not answered: {ids[3]}."
    ex.reset_history()


def test_exercise_ids_follow_the_lesson_order():
    import re

    for les in LESSONS:
        asked = re.findall(r'^ask\("([0-9.]+)"\)', les.source(), flags=re.M)
        assert asked == [e.id for e in exercises_of(les.number)], les.number
        assert [int(i.split(".")[1]) for i in asked] == list(range(1, len(asked) + 1))


def test_unanswered_and_unreadable_values_do_not_fail(capsys):
    assert ex.check("2.1", None).status == "not answered"
    assert "not answered yet" in capsys.readouterr().out
    for bad in ("0.35", float("nan"), [0.35, 0.35], object()):
        assert ex.check("2.1", bad).status == "unreadable"
    with pytest.raises(KeyError, match="no exercise"):
        ex.check("9.9", 1.0)


def test_oracles_are_computed_at_call_time(monkeypatch):
    """The exact answer comes from toyvae.theory when check runs, not from a stored number."""
    from toyvae.theory import hypersphere

    monkeypatch.setattr(hypersphere, "sharp_threshold", lambda R, D: 42.0)
    assert EXERCISES["2.1"].answer() == 42.0


def test_exercises_belong_to_lessons_and_registered_claims():
    from toyvae.claims.registry import all_claims

    claims = {c.id for c in all_claims()}
    numbers = {les.number for les in LESSONS}
    for e in EXERCISES.values():
        assert e.lesson in numbers and set(e.claims) <= set(claims), e.id
    for les in LESSONS:
        assert set(les.claims) <= set(claims), les.number
        assert exercises_of(les.number), f"lesson {les.number} has no exercise"


# ------------------------------------------------------------------------------------------------
# The lesson sources: percent format, solution blocks, student and solution versions
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [les.number for les in LESSONS])
def test_lesson_source_is_percent_format(number):
    les = lesson(number)
    text = les.source()
    assert text.startswith("# %% [markdown]\n")
    assert format_problems(text) == []
    parts = cells(text)
    assert parts[0].kind == "markdown" and parts[0].lines[0] == f"# # Lesson {number}: {les.title}"
    assert sum(c.kind == "code" for c in parts) >= 5 and sum(c.kind == "markdown" for c in parts) >= 5
    assert "plt.show(" not in text  # nothing blocks when run as a script
    blocks = solution_blocks(text)
    assert len(blocks) == len(exercises_of(number)) and all(b.names for b in blocks)


@pytest.mark.parametrize("number", [les.number for les in LESSONS])
def test_student_version_has_no_solutions(number):
    text = lesson(number).source()
    lines = text.splitlines()
    student = render_lesson(number)
    assert BEGIN not in student and END not in student
    assert format_problems(student) == [] and "*Student version.*" in student
    for b in solution_blocks(text):
        for line in lines[b.begin + 1: b.end]:
            if line.strip() and not line.strip().startswith("#"):
                assert line not in student.splitlines(), line
        for name in b.names:
            assert f"{name} = None  # your value here" in student
    solution = render_lesson(number, solutions=True)
    assert SOLUTION_NOTE in solution
    assert sum(line.strip() == BEGIN for line in solution.splitlines()) == len(solution_blocks(text))
    for line in lines:  # every solution line is in the solution version
        if line.strip() and not line.startswith(("ask(", "# %%")):
            assert line in solution.splitlines(), line
    les = lesson(number)
    for version in (student, solution):  # opens with goals, prerequisites and CPU time; questions in markdown
        assert "**Goals.**" in version and "**Prerequisites.**" in version and "**CPU time.**" in version
        assert "\nask(" not in version
        for e in exercises_of(number):
            assert f"# **Exercise {e.id}**" in version
    assert les.goals and les.prerequisites


def test_placeholders_only_for_names_used_later():
    text = ("# %% [markdown]\n# # T\n\n# %%\nx = 1\n# BEGIN SOLUTION\nhelper = 2\nanswer, other = helper, 3\n"
            "# END SOLUTION\ncheck('1.1', answer)\n")
    (block,) = solution_blocks(text)
    assert block.names == ("answer",)
    student = student_version(text)
    assert "answer = None  # your value here" in student and "helper" not in student
    assert "x = 1" in solution_version(text)


@pytest.mark.parametrize("body, message", [
    ("# BEGIN SOLUTION\nx = 1\n", "without"),
    ("x = 1\n# END SOLUTION\n", "without"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "nested"),
    ("# BEGIN SOLUTION\nx = 1\n\n# %%\n# END SOLUTION\n", "next cell"),
    ("# BEGIN SOLUTION\nx = (\n# END SOLUTION\n", "not valid Python"),
])
def test_bad_solution_markers_are_reported(body, message):
    text = "# %% [markdown]\n# # T\n\n# %%\n" + body
    with pytest.raises(LessonFormatError, match=message):
        student_version(text)


def test_a_source_that_does_not_start_with_markdown_is_refused():
    assert format_problems("# %%\nx = 1\n")
    assert format_problems("# %% [markdown]\nnot a comment\n\n# %%\nx = 1\n")


# ------------------------------------------------------------------------------------------------
# toyvae course
# ------------------------------------------------------------------------------------------------


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("argv", [["course"], ["course", "list"]])
def test_course_lists_the_lessons(argv, capsys):
    assert main(argv) == 0
    out = capsys.readouterr().out
    for les in LESSONS:
        assert f"{les.number}. {les.title}" in out and ", ".join(les.claims) in out
    assert "run time" in out


def test_course_write_student_and_solution(tmp_path, capsys):
    out = tmp_path / "handout"  # created by the command
    assert main(["course", "write", "2", "--out", str(out)]) == 0
    student = out / "lesson2_sphere_collapse.py"
    assert student.read_text(encoding="utf-8") == render_lesson(2)
    assert BEGIN not in student.read_text(encoding="utf-8")
    assert main(["course", "write", "2", "--out", str(out), "--solutions"]) == 0
    solution = out / "lesson2_sphere_collapse_solution.py"
    assert BEGIN in solution.read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == sorted([solution.name, student.name])
    assert str(student) in capsys.readouterr().out


def test_course_write_all(tmp_path):
    assert main(["course", "write", "all", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{les.module}.py" for les in LESSONS)


@pytest.mark.parametrize("which", ["-1", "7", "three", ""])
def test_course_write_bad_lesson_is_one_line_exit_2(which, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["course", "write", which, "--out", str(out)]) == 2
    assert "no lesson" in _one_line_error(capsys)
    assert not out.exists()  # nothing written, not even the folder


def _unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    folder = Path("/sys")  # root ignores permissions; /sys refuses new files
    try:
        (folder / "toyvae-probe").open("a").close()
    except OSError:
        return folder
    pytest.skip("no unwritable folder available")


def test_course_write_unwritable_folder_is_one_line_exit_2(tmp_path, capsys):
    folder = _unwritable_folder(tmp_path)
    assert main(["course", "write", "all", "--out", str(folder)]) == 2
    assert "--out" in _one_line_error(capsys)
    assert not any(folder.glob("lesson*.py"))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["course", "write", "1", "--out", str(blocker / "sub")]) == 2
    assert "is a file" in _one_line_error(capsys)


@pytest.mark.parametrize("argv", [["course", "write", "1"], ["course", "frobnicate"], ["course", "write", "--out", "x"]])
def test_course_bad_arguments_exit_2(argv, capsys):
    assert main(argv) == 2
    _one_line_error(capsys)


def test_course_check(capsys):
    exact = EXERCISES["2.1"].answer()
    assert main(["course", "check", "2.1", repr(exact)]) == 0
    assert "right" in capsys.readouterr().out
    assert main(["course", "check", "2.1", repr(exact * 1.01)]) == 1
    assert "not yet" in capsys.readouterr().out
    assert main(["course", "check", "2.2", repr(EXERCISES["2.2"].answer())]) == 0  # a negative value
    capsys.readouterr()
    assert main(["course", "check", "9.9", "1"]) == 2
    assert "no exercise" in _one_line_error(capsys)
    assert main(["course", "check", "2.1", "abc"]) == 2
    _one_line_error(capsys)


def test_write_lesson_refuses_to_overwrite(tmp_path):
    from toyvae.course import LessonExistsError, write_lesson

    path = write_lesson(1, tmp_path)
    path.write_text("a student's edited lesson", encoding="utf-8")
    with pytest.raises(LessonExistsError, match="--force"):
        write_lesson(1, tmp_path)
    assert path.read_text(encoding="utf-8") == "a student's edited lesson"
    write_lesson(1, tmp_path, force=True)
    assert path.read_text(encoding="utf-8") == render_lesson(1)


def test_course_write_refuses_to_overwrite_without_force(tmp_path, capsys):
    assert main(["course", "write", "2", "--out", str(tmp_path)]) == 0
    student = tmp_path / "lesson2_sphere_collapse.py"
    student.write_text("my answers", encoding="utf-8")
    capsys.readouterr()
    assert main(["course", "write", "all", "--out", str(tmp_path)]) == 2
    err = _one_line_error(capsys)
    assert "lesson2_sphere_collapse.py" in err and "--force" in err
    assert student.read_text(encoding="utf-8") == "my answers"
    assert sorted(p.name for p in tmp_path.iterdir()) == [student.name]  # nothing else written either
    assert main(["course", "write", "2", "--out", str(tmp_path), "--force"]) == 0
    assert student.read_text(encoding="utf-8") == render_lesson(2)
