"""Argument helpers shared by every command line of the package (a leaf: imports nothing from toyvae).

* :class:`OneLineParser`: an ``argparse`` parser whose usage errors are one line on stderr, exit 2.
* :func:`positive_int`, :func:`seed`, :func:`non_negative_int`: ``type=`` converters.
* :func:`file_problem`, :func:`folder_problem`: why an output path cannot be written (a phrase) or
  None; each tries the path, so that a bad path fails before any work, not after it.

Used by :mod:`toyvae.cli.command` (``toyvae``), :mod:`toyvae.cli.figure` (the scripts in
``figures/``), :mod:`toyvae.course.command` and :mod:`toyvae.bench`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

__all__ = ["OneLineParser", "MAX_SEED", "positive_int", "non_negative_int", "seed", "file_problem",
           "folder_problem"]

MAX_SEED = 2**32 - 1
"""The largest seed NumPy and JAX accept (seeds are unsigned 32-bit integers)."""


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str):  # argparse prints the usage block first; one line is enough
        print(f"{self.prog}: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(2)


def positive_int(text: str) -> int:
    """``type=`` converter: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """``type=`` converter: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {value}")
    return value


def seed(text: str) -> int:
    """``type=`` converter: a seed, an integer in [0, MAX_SEED]."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, {MAX_SEED}], got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, {MAX_SEED}], got {value}")
    return value


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be written as a file (a phrase), or None if it can.

    Tries it: opens the file for appending (which changes nothing in an existing file) and removes
    it again if it did not exist, so permissions, read-only file systems and full quotas all show.
    """
    path = Path(path)
    try:
        if path.is_dir():
            return f"{path} is a folder"
        if not path.parent.is_dir():
            return _not_a_folder(path.parent)
        existed = path.exists()
        with open(path, "a", encoding="utf-8"):
            pass
        if not existed:
            path.unlink(missing_ok=True)
    except OSError as err:
        return f"cannot write {path} ({err.strerror or err})"
    return None


def folder_problem(path: Path) -> str | None:
    """Why files cannot be written in folder ``path`` (a phrase), or None if they can.

    Makes the folder (parents included) when it is missing, then writes a temporary file in it and
    removes it.
    """
    path = Path(path)
    try:
        if not path.is_dir():
            if path.exists():
                return f"{path} is a file, not a folder"
            blocker = _first_existing(path)
            if blocker is not None and not blocker.is_dir():
                return f"{blocker} is a file, not a folder"
            path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        return f"cannot write in folder {path} ({err.strerror or err})"
    return None


def _first_existing(path: Path) -> Path | None:
    return next((a for a in [path, *path.parents] if a.exists()), None)


def _not_a_folder(folder: Path) -> str:
    """Why ``folder`` (not an existing folder) cannot hold a file: a file in the way, or it is missing."""
    blocker = _first_existing(folder)
    if blocker is not None and not blocker.is_dir():
        return f"{blocker} is a file, not a folder"
    return f"folder {folder} does not exist"
