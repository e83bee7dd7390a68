"""The roomy frame stack: calls pass through, and on CPython the frame really is roomy."""

from __future__ import annotations

import sys

import pytest
from build_report.pdf import stack


def test_roomy_returns_and_raises() -> None:
    assert stack.roomy(lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        stack.roomy(lambda: 1 / 0)


def test_deep_recursion_inside() -> None:
    def down(n: int) -> int:
        return 0 if n == 0 else 1 + down(n - 1)

    assert stack.roomy(lambda: down(500)) == 500


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="CPython's frame stack")
def test_the_frame_declares_a_large_stack() -> None:
    assert stack._roomy.__code__.co_stacksize == stack.ROOM
    # so the interpreter's chunk for it is at least twice the room (a power of two)
    assert stack.ROOM * 8 > 512 * 1024
