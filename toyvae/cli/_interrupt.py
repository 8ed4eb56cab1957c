"""Ctrl-C for the long commands (``verify``, ``bench``): exit 130 at once, outputs complete or absent.

Why not let ``KeyboardInterrupt`` unwind: while a claim trains, the main thread waits inside XLA, so
Python runs its SIGINT handler only when that call returns, and the ``KeyboardInterrupt`` is then
raised wherever the interpreter happens to be, e.g. inside a garbage-collection callback of jaxlib,
which swallows it ("Exception ignored in _xla_gc_callback") and training goes on (exit 130 only after
~17 s, or never); and once it does reach ``main``, the normal interpreter teardown runs while XLA's
thread pools still work, which crashed (segmentation fault, exit -11) about a second after
"toyvae: interrupted" in most tries.

What :func:`exit_on_interrupt` does instead, for the duration of a command: SIGINT's C-level handler
writes the signal number to a pipe (``signal.set_wakeup_fd``) the moment it arrives, whatever the
main thread is doing; a watcher thread blocked on that pipe prints "toyvae: interrupted", flushes
stdout and stderr, removes the temporary files of outputs not yet in place, and leaves with
``os._exit(130)``, skipping the teardown. The Python-level handler does nothing (the watcher acts).

Outputs are written to a temporary file in the target's folder and renamed over the target
(:func:`write_text_atomically`, :func:`publish_folder`); the rename happens under a lock that the
watcher takes before it exits, so an interrupt leaves each output either complete (new), or as it was
before the command (absent, or the previous complete file), never half-written.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

__all__ = ["EXIT_CODE", "MESSAGE", "exit_on_interrupt", "write_text_atomically", "publish_folder",
           "temporary_folder"]

EXIT_CODE = 130  # 128 + SIGINT, the shell's convention
MESSAGE = "toyvae: interrupted"
_HARD_DEADLINE_S = 2.0  # if flushing blocks (a reader that stopped reading a full pipe), exit anyway

_LOCK = threading.Lock()  # held while an output is renamed into place; the watcher takes it before exiting
_PENDING: set[Path] = set()  # temporary files and folders of outputs not yet in place


def _leave() -> None:
    """Print the line, flush, remove pending temporary outputs and exit 130 without interpreter teardown."""
    timer = threading.Timer(_HARD_DEADLINE_S, os._exit, args=(EXIT_CODE,))
    timer.daemon = True
    timer.start()
    with _LOCK:  # an output being renamed into place finishes first
        for path in list(_PENDING):
            try:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            except OSError:
                pass
        for stream, text in ((sys.stdout, None), (sys.stderr, MESSAGE + "\n")):
            try:
                if text:
                    stream.write(text)
                stream.flush()
            except Exception:  # a closed or broken stream must not keep us alive
                pass
        os._exit(EXIT_CODE)


def _watch(fd: int) -> None:
    while True:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data:  # the command ended and closed the pipe
            return
        if signal.SIGINT in data:
            _leave()


def _ignore(signum, frame) -> None:  # the watcher thread acts on SIGINT
    pass


@contextmanager
def exit_on_interrupt():
    """For the duration of the block, SIGINT exits the process with 130 at once (module docstring).

    Needs the main thread (where Python's signal handlers live); elsewhere it changes nothing. The previous
    handler and wakeup descriptor are restored on leaving, so in-process callers (tests) are unaffected.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)  # set_wakeup_fd requires a non-blocking descriptor
    previous_handler = signal.signal(signal.SIGINT, _ignore)
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(read_fd,), name="toyvae-interrupt", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        signal.signal(signal.SIGINT, previous_handler)
        os.close(write_fd)  # the watcher reads end-of-file and returns
        watcher.join(timeout=1.0)
        os.close(read_fd)


def _mode_for(path: Path) -> int:
    """The permission bits ``path`` keeps (an existing file's) or gets (a new file under the umask)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomically(path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to a temporary file in ``path``'s folder, then rename it over ``path``.

    An interrupt or error before the rename leaves ``path`` as it was and removes the temporary file.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    _PENDING.add(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), _mode_for(path))
            f.write(text.encode(encoding))
            f.flush()
            os.fsync(f.fileno())
        with _LOCK:
            os.replace(tmp, path)
            _PENDING.discard(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        _PENDING.discard(tmp)


@contextmanager
def temporary_folder(parent):
    """A fresh hidden folder in ``parent`` for outputs to be published with :func:`publish_folder`; removed on
    leaving (and by the interrupt watcher)."""
    folder = Path(tempfile.mkdtemp(dir=parent, prefix=".toyvae-partial-"))
    _PENDING.add(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _PENDING.discard(folder)


def publish_folder(source, dest, *, last=()) -> None:
    """Move every file under ``source`` to the same place under ``dest`` (folders created), in one locked step.

    Files named in ``last`` (relative paths) are moved after the others, so that e.g. ``report.html`` appears
    only when its figures are in place. Each move is a rename within one file system.
    """
    source, dest = Path(source), Path(dest)
    files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    files.sort(key=lambda rel: str(rel) in {str(x) for x in last})
    with _LOCK:
        for rel in files:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(source / rel, dest / rel)
