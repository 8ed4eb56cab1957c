"""Lesson sources: the percent format, the solution markers, and the student and solution versions.

A lesson is ONE plain Python file in the percent format that jupytext reads as a notebook and Python
runs as a script (without jupytext):

    # %% [markdown]
    # # Lesson 2: ...            <- markdown cells: every line a comment (or blank)
    # Text ...

    # %%
    code ...                    <- code cells

Solutions sit in code cells between two marker lines::

    # BEGIN SOLUTION
    r_star = ...                <- how the solution computes the answer
    # END SOLUTION
    check("2.3", r_star)

:func:`student_version` replaces each block by a TODO line and ``name = None  # your value here`` for
every name that the block assigns at its top level and that the code after it (outside other
solution blocks) uses, such as the argument of the following ``check`` (which then says "not
answered yet"); helper names used only inside solutions get no placeholder;
:func:`solution_version` keeps the whole source. Both add a short markdown cell saying which version
it is.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import textwrap
import tokenize

__all__ = ["Cell", "SolutionBlock", "LessonFormatError", "cells", "format_problems", "solution_blocks",
           "student_version", "solution_version", "questions_in_markdown", "insert_after_first_cell", "BEGIN", "END"]

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
_CELL = re.compile(r"^# %%(?P<rest>.*)$")

STUDENT_NOTE = ("# %% [markdown]\n"
                "# *Student version.* The cells marked `TODO` are yours: replace `None` by your value (or your\n"
                "# function) and run the cell; `check(...)` then says whether it is right or, if not, in which\n"
                "# direction and roughly by how much, with a hint for the usual mistakes.\n")
SOLUTION_NOTE = ("# %% [markdown]\n"
                 "# *Solution version* (for teachers): the solutions sit between `# BEGIN SOLUTION` and\n"
                 "# `# END SOLUTION`; the student version has a `TODO` and `None` in their place.\n")


class LessonFormatError(ValueError):
    """A lesson source breaks the percent format or the solution markers (the message says where)."""


@dataclasses.dataclass(frozen=True)
class Cell:
    """One cell: ``kind`` is ``"markdown"`` or ``"code"``; ``start`` is the 0-based line of its ``# %%`` marker."""

    kind: str
    start: int
    lines: tuple[str, ...]  # the lines after the marker


@dataclasses.dataclass(frozen=True)
class SolutionBlock:
    """Lines ``begin`` and ``end`` (0-based, the marker lines) of one solution, and the names it assigns
    that later code uses (the student version's placeholders)."""

    begin: int
    end: int
    indent: str
    names: tuple[str, ...]


def cells(text: str) -> list[Cell]:
    """The cells of a percent-format source (lines before the first marker are not a cell)."""
    lines = text.splitlines()
    out: list[Cell] = []
    kind, start, body = None, None, []
    for i, line in enumerate(lines):
        m = _CELL.match(line)
        if m:
            if kind is not None:
                out.append(Cell(kind, start, tuple(body)))
            kind = "markdown" if "[markdown]" in m.group("rest") else "code"
            start, body = i, []
        elif kind is not None:
            body.append(line)
    if kind is not None:
        out.append(Cell(kind, start, tuple(body)))
    return out


def format_problems(text: str) -> list[str]:
    """What is wrong with a lesson source (empty when it is a valid percent-format lesson)."""
    problems = []
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if first.strip() != "# %% [markdown]":
        problems.append(f"the first line must open a markdown cell ('# %% [markdown]'), got {first!r}")
    all_cells = cells(text)
    if not any(c.kind == "code" for c in all_cells):
        problems.append("no code cell ('# %%')")
    for c in all_cells:
        if c.kind == "markdown":
            for j, line in enumerate(c.lines):
                if line.strip() and not line.startswith("#"):
                    problems.append(f"line {c.start + j + 2}: markdown cells hold comment lines only")
    try:
        solution_blocks(text)
    except LessonFormatError as err:
        problems.append(str(err))
    return problems


def solution_blocks(text: str) -> list[SolutionBlock]:
    """The solution blocks, in order; :class:`LessonFormatError` for unpaired, nested or cell-crossing markers."""
    lines = text.splitlines()
    blocks = []
    open_at = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if _CELL.match(line) and open_at is not None:
            raise LessonFormatError(f"line {open_at + 1}: a solution block runs into the next cell")
        if stripped == BEGIN:
            if open_at is not None:
                raise LessonFormatError(f"line {i + 1}: nested '{BEGIN}' (the block of line {open_at + 1} is open)")
            open_at = i
        elif stripped == END:
            if open_at is None:
                raise LessonFormatError(f"line {i + 1}: '{END}' without '{BEGIN}'")
            indent = lines[open_at][: len(lines[open_at]) - len(lines[open_at].lstrip())]
            body = textwrap.dedent("\n".join(lines[open_at + 1: i]))
            try:
                tree = ast.parse(body)
            except SyntaxError as err:
                raise LessonFormatError(f"line {open_at + 1}: the solution block is not valid Python ({err.msg})") from None
            blocks.append(SolutionBlock(open_at, i, indent, _assigned_names(tree)))
            open_at = None
    if open_at is not None:
        raise LessonFormatError(f"line {open_at + 1}: '{BEGIN}' without '{END}'")
    return [dataclasses.replace(b, names=tuple(n for n in b.names if n in _names_used_after(lines, blocks, b)))
            for b in blocks]


def _names_used_after(lines: list[str], blocks: list[SolutionBlock], block: SolutionBlock) -> set[str]:
    """Identifiers in the code after ``block``, leaving out every solution block (comments ignored)."""
    inside = set()
    for b in blocks:
        inside.update(range(b.begin, b.end + 1))
    rest = "\n".join(line for i, line in enumerate(lines) if i > block.end and i not in inside) + "\n"
    try:
        return {tok.string for tok in tokenize.generate_tokens(io.StringIO(rest).readline)
                if tok.type == tokenize.NAME}
    except (tokenize.TokenError, IndentationError, SyntaxError):
        code = "\n".join(line.split("#", 1)[0] for line in rest.splitlines())
        return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))


def _assigned_names(tree: ast.Module) -> tuple[str, ...]:
    names: list[str] = []

    def add(target):
        if isinstance(target, ast.Name):
            if target.id not in names:
                names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                add(t)

    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):  # a code exercise: a function
            if stmt.name not in names:
                names.append(stmt.name)
        elif isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                add(t)
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            add(stmt.target)
    return tuple(names)


_ASK = re.compile(r"""^ask\(\s*["'](?P<id>[0-9]+\.[0-9]+)["']\s*\)\s*$""")


def questions_in_markdown(text: str, question) -> str:
    """Each top-level ``ask("ID")`` line becomes a markdown cell above its code cell with ``question(ID)``.

    In a notebook the exercise is then readable before anything runs; the script form (the lesson
    file itself) keeps ``ask``, which prints the question.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _ASK.match(lines[i].rstrip("\n"))
        if m:
            # the code cell's marker is the last '# %%' line before this one in out
            at = max(j for j, line in enumerate(out) if _CELL.match(line.rstrip("\n")))
            md = ["# %% [markdown]\n"] + [f"# {line}\n" if line else "#\n"
                                          for line in textwrap.wrap(question(m.group("id")), 98)] + ["\n"]
            out[at:at] = md
            i += 1
            continue
        out.append(lines[i])
        i += 1
    return "".join(out)


def insert_after_first_cell(text: str, note: str) -> str:
    """``note`` (one or more cells) inserted after the first cell of ``text``."""
    return _insert_after_first_cell(text, note)


def _insert_after_first_cell(text: str, note: str) -> str:
    lines = text.splitlines(keepends=True)
    all_cells = cells(text)
    at = all_cells[1].start if len(all_cells) > 1 else len(lines)
    return "".join(lines[:at]) + note + "\n" + "".join(lines[at:])


def student_version(text: str) -> str:
    """The source with every solution block replaced by a TODO and ``None`` placeholders."""
    problems = format_problems(text)
    if problems:
        raise LessonFormatError("; ".join(problems))
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    pos = 0
    for block in solution_blocks(text):
        out.extend(lines[pos: block.begin])
        ind = block.indent
        if block.names:
            out.append(f"{ind}# TODO: your code; set {', '.join(block.names)} (replace None by your value)\n")
            out.extend(f"{ind}{name} = None  # your value here\n" for name in block.names)
        else:
            out.append(f"{ind}# TODO: your code here\n")
        pos = block.end + 1
    out.extend(lines[pos:])
    return _insert_after_first_cell("".join(out), STUDENT_NOTE)


def solution_version(text: str) -> str:
    """The full source (solutions included) with a note that it is the solution version."""
    problems = format_problems(text)
    if problems:
        raise LessonFormatError("; ".join(problems))
    return _insert_after_first_cell(text, SOLUTION_NOTE)
