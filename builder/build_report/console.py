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

from build_report.errors import printable

BAR_WIDTH = 24


class Progress:
    """The build's progress: a stage's text, and one bar for the whole build.

    A build is a few steps, each taking the bar over a span of it (`step`); a step with a
    `total` moves on as work is done (`tick`: a page laid out or painted, in this process or
    any other of the build, see processes.py), so the bar keeps moving while WeasyPrint writes
    the PDF. Only a terminal shows the bar; -v prints each stage with its time instead.
    """

    def __init__(self, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.live = not quiet and sys.stderr.isatty()
        self.started = time.perf_counter()
        self.shown = False
        self.label = ""
        self.span = (0.0, 0.0)
        self.total = 0
        self.done = 0
        self.drawn = -1  # the percentage last drawn

    def stage(self, text: str) -> None:
        text = printable(text)
        if self.verbose:
            now = time.perf_counter()
            click.echo(f"[{now - self.started:6.2f}s] {text}", err=True)
        elif self.live:
            self.label = text
            self._draw(force=True)

    def step(self, label: str, low: float, high: float, total: int = 0, detail: str = "") -> None:
        """A step of the build, from `low` to `high` of the bar (fractions), over `total`
        ticks (0: it moves at its end only). -v prints `detail`, where there is one."""
        self.span, self.total, self.done = (low, high), max(total, 0), 0
        if self.verbose:
            self.stage(detail or label)
        elif self.live:
            self.label = printable(label)
            self._draw(force=True)

    def tick(self, count: int = 1) -> None:
        """`count` more of the step's work done."""
        self.done += count
        if self.live and not self.verbose:
            self._draw()

    def page(self, number: int) -> None:
        """A page laid out (the page's number in its document): a tick."""
        self.tick()

    def fraction(self) -> float:
        low, high = self.span
        if not self.total:
            return low
        return low + (high - low) * min(self.done / self.total, 0.99)

    def _draw(self, force: bool = False) -> None:
        percent = int(self.fraction() * 100)
        if percent == self.drawn and not force:
            return
        self.drawn = percent
        filled = round(BAR_WIDTH * percent / 100)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        click.echo(f"\r\033[K[{bar}] {percent:3d}% {self.label}", err=True, nl=False)
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


PLACES_SHOWN = 3


def report(diagnostics, err: bool = True, every: bool | None = None) -> None:
    """Diagnostics, compiler-style, coloured by level: one line per kind, the first of them
    in full, then how many more and where the first few are (a real document can have two
    thousand dropped links). With --verbose (`every`), every one on its own line."""
    every = current.verbose if every is None else every
    groups: dict[tuple[str, str], list] = {}
    for diagnostic in diagnostics:
        key = (diagnostic.level, diagnostic.kind or diagnostic.message)
        groups.setdefault(key, []).append(diagnostic)
    for group in groups.values():
        lines = [d.format() for d in group] if every else [grouped(group)]
        for line in lines:
            click.echo(styled(line, group[0].level), err=err, color=color())


def grouped(group: list) -> str:
    """`first diagnostic [and N more like it: a.md:3, b.md:9, ...; -v lists them all]`."""
    first, rest = group[0], group[1:]
    if not rest:
        return first.format()
    where = [f"{d.path}:{d.line}" if d.line else d.path for d in rest]
    places = [p for p in dict.fromkeys(where) if p != first.path]
    shown = ", ".join(printable(p) for p in places[:PLACES_SHOWN])
    shown += ", ..." if len(places) > PLACES_SHOWN else ""
    listed = f": {shown}" if shown else ""
    return f"{first.format()} [and {len(rest)} more like it{listed}; -v lists them all]"


def done(text: str) -> None:
    """The closing line (what was written); --quiet leaves it out."""
    if not current.quiet:
        click.echo(printable(text))


def table(rows: list[tuple[str, ...]], right: tuple[int, ...] = ()) -> None:
    """Rows in aligned columns; the columns in `right` aligned right."""
    rows = [tuple(printable(cell) for cell in row) for row in rows]
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
