"""What the user sees on a terminal: progress, diagnostics, the summary table.

Progress is the stage and chapter (or page) a long build is at.
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
        self.shown = False

    def stage(self, text: str) -> None:
        if self.verbose:
            now = time.perf_counter()
            click.echo(f"[{now - self.started:6.2f}s] {text}", err=True)
        elif self.live:
            click.echo(f"\r\033[K{text}", err=True, nl=False)
            self.shown = True

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


def report(diagnostics, err: bool = True) -> None:
    """Diagnostics, compiler-style, one a line, coloured by level."""
    for diagnostic in diagnostics:
        click.echo(styled(diagnostic.format(), diagnostic.level), err=err, color=color())


def done(text: str) -> None:
    """The closing line (what was written); --quiet leaves it out."""
    if not current.quiet:
        click.echo(text)


def table(rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> None:
    """Rows in aligned columns; the columns in `right` aligned right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        click.echo("  ".join(cells).rstrip())


def size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024**2:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024**2:.1f} MiB"
