"""Other processes, where the platform allows them: a forked child that prepares a build while
this process loads the layout engine, and the start method of the parallel layout workers.

A PDF build starts with two slow steps that do not depend on each other: reading and rendering
the chapters (our Markdown and template code) and importing WeasyPrint (about half a second of
a small build). With two cores they run side by side: a child process does the first and sends
back plain data (the HTML and what the engine needs to know), while the parent imports the
engine. The Markdown and template modules are then never loaded into the process whose memory
peaks during layout, and the child is gone by then.

Where forking is not safe (not Linux, or threads are running, as in the preview server), the
two steps simply run one after the other, and layout workers are spawned instead of forked.

The same child is the build's watchdog: `time_limit` under [build] holds for the whole build
(reading, parsing, rendering, layout), and no signal or exception can stop code that catches
BaseException (WeasyPrint's SVG drawing does), so the parent waits for the child's answer only
until the build's deadline, then kills it with SIGKILL. A child dies with its parent, too.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from build_report import console
from build_report.errors import BuildError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from build_report.project.config import Config

T = TypeVar("T")


def can_fork() -> bool:
    """Forking is safe on Linux in a process with no other threads. (macOS has fork, but its
    system libraries are not fork-safe; Windows has none.)"""
    import multiprocessing

    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


def context():
    """The multiprocessing context for worker processes: fork where it is safe (workers then
    inherit the imported engine), spawn everywhere else."""
    import multiprocessing

    return multiprocessing.get_context("fork" if can_fork() else "spawn")


@dataclass(frozen=True)
class Deadline:
    """When the build must be over: `time_limit` seconds after it started. An absolute time
    on the monotonic clock, which every process on the machine shares, so the workers of a
    parallel build keep the one deadline of the whole build."""

    at: float
    seconds: int
    line: int | None = None  # where report.toml sets time_limit, for the error

    @classmethod
    def of(cls, config: Config) -> Deadline:
        """The deadline of a build of `config` that starts now."""
        from build_report.errors import key_line

        seconds = config.build.time_limit
        try:
            line = key_line(Path(config.path).read_text("utf-8"), "time_limit", "build")
        except (OSError, ValueError):
            line = None
        return cls(time.monotonic() + seconds, seconds, line)

    def left(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> bool:
        return self.left() <= 0

    def error(self) -> BuildError:
        return BuildError(
            "report.toml",
            f"the build took longer than time_limit = {self.seconds} s",
            "look for runaway content, CSS or images, or raise time_limit under [build]",
            self.line,
        )


_clock: Deadline | None = None


def start_clock(config: Config) -> Deadline:
    """Start the build's clock: what `clock()` answers until the next build starts."""
    global _clock
    _clock = Deadline.of(config)
    return _clock


def clock() -> Deadline | None:
    """The deadline of the build running in this process (inherited by forked children)."""
    return _clock


def die_with_parent(parent: int | None = None) -> None:
    """Make this (child) process end when its parent does, however the parent ends: the
    kernel sends SIGKILL on Linux; elsewhere a thread watches the parent's id. (A worker left
    waiting on a pipe that its dead parent never closes would wait forever.) No thread on
    Linux: a process with threads may not fork its own workers (`can_fork`)."""
    parent = os.getppid() if parent is None else parent
    watched = _kill_on_parent_death()
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)
    if not watched:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _kill_on_parent_death() -> bool:
    """prctl(PR_SET_PDEATHSIG, SIGKILL), where there is one."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def in_child(
    work: Callable[[], T],
    meanwhile: Callable[[], object] | None = None,
    deadline: Deadline | None = None,
) -> T:
    """`work()` in a forked child, `meanwhile()` here; return what `work` returned, or raise
    what it raised (an error for the user is re-raised as it was). With a `deadline`, the
    child is killed when it passes and the build ends with the time_limit error. With neither,
    or where forking is not safe, `work` and `meanwhile` run here one after the other (the
    engine's own limits are then the only ones)."""
    if (meanwhile is None and deadline is None) or not can_fork():
        result = work()
        if meanwhile is not None:
            meanwhile()
        return result
    import multiprocessing

    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    shared = [(cache, set(cache)) for cache in _SHARED]  # (each cache, its keys now)
    reader, writer = multiprocessing.Pipe(duplex=False)
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:  # no process to be had (EAGAIN, ENOMEM): close the pipe, say so
        reader.close()
        writer.close()
        raise
    if pid == 0:  # the child: never returns
        reader.close()
        _child(work, writer, parent, shared)
    writer.close()
    try:
        if meanwhile is not None:
            meanwhile()
        message = _answer(reader, deadline)
        _, status = os.waitpid(pid, 0)
    except BaseException:  # the deadline, Ctrl-C, SIGTERM, a failed import: the child goes too
        _kill(pid)
        raise
    finally:
        reader.close()
    if message is None:
        if os.waitstatus_to_exitcode(status) == 130:
            raise KeyboardInterrupt
        raise RuntimeError(f"the preparing process ended with status {status} and no result")
    kind, value = message
    if kind == "ok":
        value, added = value
        for (cache, _), entries in zip(shared, added, strict=True):
            cache.update(entries)
        return value
    if kind == "error":
        raise value
    raise RuntimeError(f"preparing the build failed in a child process:\n{value}")


_ON_EXIT: list[tuple[int, Callable[[], object]]] = []  # (pid, action): on_child_exit


def on_child_exit(action: Callable[[], object]) -> None:
    """Run `action` when this forked process leaves (`child_exit`), as os._exit runs nothing:
    what it made for itself in a folder that outlives it (the live preview's scratch folder
    lasts the session). Not run by the processes it forks in turn."""
    _ON_EXIT.append((os.getpid(), action))


def child_exit() -> None:
    """What this process asked to run as it leaves (`on_child_exit`), errors ignored."""
    pid = os.getpid()
    for owner, action in _ON_EXIT:
        if owner == pid:
            with contextlib.suppress(Exception):
                action()


_SHARED: list[dict] = []  # caches that a child fills for its parent (share_cache)


def share_cache(cache: dict) -> None:
    """Let a child of `in_child` fill `cache` for this process: what the child adds to it
    comes back with its result. For a module's cache of what it read of files, keyed so that
    a changed file is another key (hyphenation patterns, fonts' character maps): the child
    that reads the chapters has time to spare while this process imports the engine, and the
    processes forked from this one afterwards inherit the entries instead of reading the files
    again. Registered before the fork; a cache registered twice counts once."""
    if not any(known is cache for known in _SHARED):
        _SHARED.append(cache)


def _answer(reader: Connection, deadline: Deadline | None) -> tuple[str, Any] | None:
    """The child's result (None if it ended without one), showing its progress meanwhile;
    the time_limit error once the deadline passes."""
    while True:
        if deadline is not None and deadline.passed():
            raise deadline.error()
        if not reader.poll(None if deadline is None else max(deadline.left(), 0.01)):
            continue
        try:
            kind, value = pickle.loads(reader.recv_bytes())
        except EOFError:
            return None
        if kind == "stage":
            console.current.stage(value)
        elif kind == "step":
            console.current.step(*value)
        elif kind == "tick":
            console.current.tick(value)
        else:
            return kind, value


def _kill(pid: int) -> None:
    """SIGKILL, not SIGTERM: the engine catches BaseException in places, and the child holds
    nothing that needs cleaning up (the parent writes the outputs)."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


class _Relay(console.Progress):
    """The child's progress, sent to the parent to show (the child's own streams may not be
    the user's: under a test runner they are copies in the child's memory)."""

    def __init__(self, conn: Connection, shown: console.Progress) -> None:
        super().__init__(quiet=shown.quiet, verbose=shown.verbose)
        self.conn = conn
        self.live = shown.live

    def stage(self, text: str) -> None:
        if self.verbose or self.live:
            self.conn.send_bytes(pickle.dumps(("stage", text)))

    def step(self, label: str, low: float, high: float, total: int = 0, detail: str = "") -> None:
        if self.verbose or self.live:
            self.conn.send_bytes(pickle.dumps(("step", (label, low, high, total, detail))))

    def tick(self, count: int = 1) -> None:
        """Sent five at a time: the layout workers of a parallel build, forked with this
        relay, send theirs down the same pipe (each message is one atomic write)."""
        if not self.live or self.verbose:
            return
        self.done += count
        if self.done >= 5:
            self.conn.send_bytes(pickle.dumps(("tick", self.done)))
            self.done = 0

    def clear(self) -> None:
        pass


def _child(work: Callable[[], object], conn: Connection, parent: int, shared: list) -> None:
    code = 0
    try:
        die_with_parent(parent)
        console.current = _Relay(conn, console.current)
        try:
            value = work()
            added = [{k: v for k, v in c.items() if k not in known} for c, known in shared]
            message = pickle.dumps(("ok", (value, added)), protocol=pickle.HIGHEST_PROTOCOL)
        except click.ClickException as exc:
            message = pickle.dumps(("error", exc))
        except KeyboardInterrupt:
            code = 130
            message = b""
        except BaseException:
            import traceback

            message = pickle.dumps(("crash", traceback.format_exc()))
        if message:
            conn.send_bytes(message)
        conn.close()
    except BaseException:
        code = code or 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # nothing left to report to
                stream.flush()
        child_exit()
        os._exit(code)


_SCRATCH: list[Path] = []  # the scratch folders this process is in, innermost last


def in_scratch_folder() -> bool:
    """Whether temporary files go to a scratch folder of a build now (scratch_folder)."""
    import tempfile

    return bool(_SCRATCH) and tempfile.gettempdir() == str(_SCRATCH[-1])


def scratch() -> Path | None:
    """The scratch folder temporary files go to now (scratch_folder), if any."""
    return _SCRATCH[-1] if in_scratch_folder() else None


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path | None]:
    """A private temporary folder for everything this build and its processes write there,
    removed when the build ends, however its processes ended. The layout engine copies every
    font into a temporary folder per document and removes it only when the document object is
    collected, which a process that leaves with os._exit (a finished or killed child) never
    does: without this, each build left its fonts behind in /tmp.

    Inside another (the live preview's, for the whole session: its builds share the fonts
    loaded once, adapter.shared_fonts), it is that one, removed when that one ends."""
    import shutil
    import tempfile

    if in_scratch_folder() and _SCRATCH[-1].is_dir():
        yield _SCRATCH[-1]
        return
    try:
        folder = Path(tempfile.mkdtemp(prefix="build-report-"))
    except OSError:  # no room even for a folder: the build's own writes will say so
        yield None
        return
    _SCRATCH.append(folder)
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)  # worker processes that start afresh
    try:
        yield folder
    finally:
        tempfile.tempdir = saved[0]
        if saved[1] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[1]
        _SCRATCH.remove(folder)
        shutil.rmtree(folder, ignore_errors=True)
