"""Run the layout engine on a roomy Python frame stack, so deep recursion costs no system calls.

CPython 3.11 and later keep Python frames in chunks of 16 KiB and free a chunk as soon as the
frame at its base returns. WeasyPrint's layout recurses up and down many thousand times; when
its working depth straddles a chunk boundary, every crossing maps and unmaps a fresh chunk (and
faults its pages in). A 150-page build made 39,000 such pairs, seconds of system time at 600
pages, and how often it happens depends only on how deep the caller's stack was.

`roomy(fn)` calls `fn` from a frame whose code declares a large value stack: the interpreter
gives that frame a chunk of the next power of two (1 MiB), and the half it does not use holds
every frame the engine pushes, so no boundary is crossed. The unused stack is never written,
so it costs address space, not memory. On other Pythons it is an ordinary call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
ROOM = (1 << 16) + 64  # stack slots: just over 512 KiB, so the chunk is 1 MiB


def _call(fn: Callable[[], T]) -> T:
    return fn()


try:
    _roomy = type(_call)(_call.__code__.replace(co_stacksize=ROOM), globals(), "roomy")
except (AttributeError, TypeError, ValueError):  # pragma: no cover - another interpreter
    _roomy = _call


def roomy(fn: Callable[[], T]) -> T:
    """`fn()`, with the frames it pushes kept in one chunk of the interpreter's frame stack."""
    return _roomy(fn)
