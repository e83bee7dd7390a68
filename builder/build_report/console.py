"""Progress on a terminal: the stage and chapter (or page) a long build is at.

Shown only when stderr is a terminal and not --quiet; --verbose prints each stage with its time
on a line of its own (also when piped). Colour follows NO_COLOR and the terminal.
"""

from __future__ import annotations

import os
import sys
import time

import click


class Progress:
    def __init__(self, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.live = not quiet and sys.stderr.isatty()
        self.started = time.perf_counter()
        self.last = self.started
        self.shown = False

    def stage(self, text: str) -> None:
        now = time.perf_counter()
        if self.verbose:
            click.echo(f"[{now - self.started:6.2f}s] {text}", err=True)
        elif self.live:
            click.echo(f"\r\033[K{text}", err=True, nl=False)
            self.shown = True
        self.last = now

    def page(self, number: int) -> None:
        if self.live and not self.verbose and number % 5 == 0:
            click.echo(f"\r\033[Klaying out: page {number}", err=True, nl=False)
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            click.echo("\r\033[K", err=True, nl=False)
            self.shown = False


current = Progress(quiet=True)


def configure(quiet: bool, verbose: bool) -> None:
    global current
    current = Progress(quiet, verbose)


def color() -> bool | None:
    """False under NO_COLOR (https://no-color.org); otherwise let Click decide (terminal)."""
    return False if os.environ.get("NO_COLOR") else None


def styled(text: str, level: str) -> str:
    colors = {"error": "red", "warning": "yellow"}
    return click.style(text, fg=colors.get(level), bold=level == "error")
