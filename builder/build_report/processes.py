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
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

import click

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


def in_child(work: Callable[[], T], meanwhile: Callable[[], object] | None) -> T:
    """`work()` in a forked child, `meanwhile()` here; return what `work` returned, or raise
    what it raised (an error for the user is re-raised as it was). With nothing to do
    meanwhile, or where forking is not safe, the two run here one after the other."""
    if meanwhile is None or not can_fork():
        result = work()
        if meanwhile is not None:
            meanwhile()
        return result
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(work, write_end)
    os.close(write_end)
    try:
        meanwhile()
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
    except BaseException:  # Ctrl-C, SIGTERM, an import that failed: the child goes too
        try:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        raise
    if not data:
        if os.waitstatus_to_exitcode(status) == 130:
            raise KeyboardInterrupt
        raise RuntimeError(f"the preparing process ended with status {status} and no result")
    kind, value = pickle.loads(data)
    if kind == "ok":
        return value
    if kind == "error":
        raise value
    raise RuntimeError(f"preparing the build failed in a child process:\n{value}")


def _child(work: Callable[[], object], write_end: int) -> None:
    code = 0
    try:
        try:
            message = pickle.dumps(("ok", work()), protocol=pickle.HIGHEST_PROTOCOL)
        except click.ClickException as exc:
            message = pickle.dumps(("error", exc))
        except KeyboardInterrupt:
            code = 130
            message = b""
        except BaseException:
            import traceback

            message = pickle.dumps(("crash", traceback.format_exc()))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(message)
    except BaseException:
        code = code or 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # nothing left to report to
                stream.flush()
        os._exit(code)
