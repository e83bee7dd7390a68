"""Tables never run past the page edge: each Markdown table is measured before it is laid out,
and printed at its size, smaller, or on a landscape page, with a warning naming its line.

A table cannot be narrower than its longest words: the layout engine gives every column at
least its widest unbreakable word (its min-content width), and a table whose columns need more
than the text width runs off the paper. So each table's min-content width is estimated from the
project's own fonts (advance widths read with fontTools, as the engine will use them), and the
first step that fits is taken:

1. fits: printed as the stylesheet says (9 pt);
2. smaller: type set down one step at a time, to a floor of 6.5 pt (class `table-small`,
   `table-smaller` or `table-smallest`);
3. landscape: on a page of its own, turned (class `table-wide`, printed on `@page landscape`),
   at the largest step that fits there;
4. broken: still too wide at the floor on a landscape page, words are broken anywhere
   (class `table-break`), the one way left to keep every character on the paper.

HTML and EPUB need no steps: every table sits in a wrapper that scrolls sideways there.

The measure is pure: it reads tokens and never changes them (tokens are shared between
outputs), so the print renderer, the EPUB renderer and `check` reach the same decision.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from build_report.errors import Diagnostic
from build_report.project.config import PAPER_POINTS
from build_report.project.model import Book, Chapter

MM = 72 / 25.4
# What styles/print.css says; kept here because the measure must match it.
MARGIN = 22 * MM  # @page: left and right margins
TABLE_SIZE = 9.0  # table { font-size }
CODE_SCALE = 0.86  # code { font-size: 0.86em }
CELL_PADDING = 4 * MM  # th, td { padding: 1.5mm 2mm }: 2 mm each side
CELL_RULES = 1.0  # collapsed borders, at most 1 pt a column
SAFETY = 0.97  # the estimate ignores kerning and rounding: keep 3 % in hand
# The type sizes a table may step down to, and the class that sets each (print.css).
STEPS = ((9.0, ""), (8.0, "table-small"), (7.25, "table-smaller"), (6.5, "table-smallest"))
FONTS = {
    "regular": "Inter-Regular.otf",
    "semibold": "Inter-SemiBold.otf",
    "bold": "Inter-Bold.otf",
    "italic": "Inter-Italic.otf",
    "mono": "JetBrainsMono-Regular.ttf",
}
SKELETON = Path(__file__).resolve().parent.parent / "skeleton"  # what `init` copies
FALLBACK_EM = 0.6  # the advance of a character no font file could tell (em)
WIDE_EM = 1.0  # emoji and ideographs, drawn by a fallback font, about one em


@dataclass(frozen=True)
class Fit:
    """What a table becomes in print: its type size, and whether it is turned or broken."""

    line: int | None  # the table's first line, counted from the chapter body's first line (0)
    columns: int
    size: float = TABLE_SIZE
    landscape: bool = False
    broken: bool = False

    @property
    def classes(self) -> str:
        """The wrapper's classes, which print.css turns into a size and a page."""
        found = ["table-wrap"]
        found += [name for size, name in STEPS if size == self.size and name]
        found += ["table-wide"] * self.landscape + ["table-break"] * self.broken
        return " ".join(found)

    def diagnostic(self, chapter: Chapter) -> Diagnostic | None:
        """The warning this fit deserves, at the table's source line; None if it fits as is."""
        line = chapter.body_line + self.line if self.line is not None else None
        what = f"table of {self.columns} columns is too wide for the page at {TABLE_SIZE:g} pt"
        if self.broken:
            message = (
                f"{what}, even at {STEPS[-1][0]:g} pt on a landscape page: it is printed "
                "there with its longest words broken; split it, or shorten its longest words"
            )
            kind = "tables too wide even for a landscape page"
        elif self.landscape:
            message = (
                f"{what}, even at {STEPS[-1][0]:g} pt: it is printed on a landscape page "
                f"at {self.size:g} pt"
            )
            kind = "tables turned landscape"
        elif self.size < TABLE_SIZE:
            message = f"{what}: it is printed at {self.size:g} pt"
            kind = "tables set smaller to fit"
        else:
            return None
        return Diagnostic(chapter.source, line, None, "warning", message, kind=kind)


class Widths:
    """Advance widths (in em) of the characters of one font file."""

    def __init__(self, path: Path | None) -> None:
        self.advances: dict[int, float] = {}
        if path is None or not path.is_file():
            return
        from fontTools.ttLib import TTFont

        try:
            font = TTFont(path, lazy=True)
            per_em = font["head"].unitsPerEm
            metrics = font["hmtx"].metrics
            for code, glyph in font.getBestCmap().items():
                self.advances[code] = metrics[glyph][0] / per_em
        except Exception:  # noqa: BLE001 - any font fontTools cannot read: the rough estimate will do
            self.advances = {}

    def em(self, char: str) -> float:
        found = self.advances.get(ord(char))
        if found is not None:
            return found
        return WIDE_EM if _wide(char) else FALLBACK_EM


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F") or ord(char) > 0x1F000


@cache
def _widths(path: Path | None) -> Widths:
    return Widths(path)


def font_files(root: Path) -> dict[str, Path | None]:
    """The project's fonts (styles/fonts/), else the ones a new project gets. A project's
    font is read only if it really lies inside the project, as every file a build reads."""
    inside = root.resolve()
    out: dict[str, Path | None] = {}
    for style, name in FONTS.items():
        own = (root / "styles" / "fonts" / name).resolve()
        ours = (SKELETON / "styles" / "fonts" / name).resolve()
        found = own if own.is_file() and inside in own.parents else ours
        out[style] = found if found.is_file() else None
    return out


class Fitter:
    """Decides each table's fit for one book (its paper and fonts)."""

    def __init__(self, root: Path, paper: str) -> None:
        width, height = PAPER_POINTS.get(paper, PAPER_POINTS["a4"])
        self.portrait = (width - 2 * MARGIN) * SAFETY
        self.landscape = (height - 2 * MARGIN) * SAFETY
        self.root = root

    @cached_property
    def fonts(self) -> dict[str, Widths]:
        """The fonts' widths, read when a book has a table to fit (reading them is a good
        part of preparing a book without one)."""
        return {style: _widths(path) for style, path in font_files(self.root).items()}

    def fit(self, tokens: Sequence, start: int) -> Fit:
        """The fit of the table whose `table_open` is `tokens[start]`."""
        columns = self.columns(tokens, start)
        line = tokens[start].map[0] if tokens[start].map else None
        need = sum(columns)  # in em of the table's type, padding and rules aside
        count = len(columns)

        def fits(size: float, room: float) -> bool:
            return need * size + count * (CELL_PADDING + CELL_RULES) <= room

        for size, _ in STEPS:
            if fits(size, self.portrait):
                return Fit(line, count, size)
        for size, _ in STEPS:
            if fits(size, self.landscape):
                return Fit(line, count, size, landscape=True)
        return Fit(line, count, STEPS[-1][0], landscape=True, broken=True)

    def columns(self, tokens: Sequence, start: int) -> list[float]:
        """Each column's widest unbreakable word, in em of the table's type size."""
        widest: list[float] = []
        column, header = 0, False
        for token in _table(tokens, start):
            if token.type == "tr_open":
                column = 0
            elif token.type in ("th_open", "td_open"):
                header = token.type == "th_open"
            elif token.type in ("th_close", "td_close"):
                column += 1
            elif token.type == "inline":
                word = self.widest_word(token.children or [], header)
                if column >= len(widest):
                    widest += [0.0] * (column + 1 - len(widest))
                widest[column] = max(widest[column], word)
        return widest

    def widest_word(self, children: Sequence, header: bool) -> float:
        """The widest run of a cell that the engine cannot break (no space, no hyphen)."""
        widest = current = 0.0
        for char, style in _characters(children, header):
            if char.isspace():
                current = 0.0
                continue
            scale = CODE_SCALE if style == "mono" else 1.0
            width = self.fonts[style].em(char) * scale
            if _wide(char):  # ideographs and emoji break on either side
                widest, current = max(widest, width), 0.0
                continue
            current += width
            widest = max(widest, current)
            if char in "-\u2010\u2013\u2014":  # a line may break after a hyphen or a dash
                current = 0.0
        return widest


def _table(tokens: Sequence, start: int) -> Iterator:
    """The tokens of the table opened at `start`, up to its close (tables do not nest)."""
    for token in tokens[start + 1 :]:
        if token.type == "table_close":
            return
        yield token


def _characters(children: Sequence, header: bool) -> Iterator[tuple[str, str]]:
    """Each character a cell shows, with the font style it is drawn in; a `<br>` is a space."""
    strong = emphasis = 0
    for child in children:
        kind = child.type
        if kind in ("strong_open", "strong_close"):
            strong += 1 if kind == "strong_open" else -1
        elif kind in ("em_open", "em_close"):
            emphasis += 1 if kind == "em_open" else -1
        elif kind == "html_inline":
            if child.content.lower().startswith("<br"):
                yield " ", "regular"
        elif kind in ("softbreak", "hardbreak"):
            yield " ", "regular"
        elif kind == "code_inline":
            for char in child.content:
                yield char, "mono"
        elif kind == "image" or not child.content or child.children:
            continue
        else:
            style = "bold" if strong else "semibold" if header else "italic" if emphasis else ""
            for char in child.content:
                yield char, style or "regular"


def with_fits(tokens: Sequence, measure: Fitter) -> list:
    """The tokens with each table's fit in its `table_open`'s meta (for the renderer), and
    the headings right above a landscape table marked to go on its page: a heading must not
    end the page before it. Tokens are shared between outputs, so changed ones are copies."""
    out = list(tokens)
    for i, token in enumerate(tokens):
        if token.type != "table_open":
            continue
        fit = measure.fit(tokens, i)
        out[i] = token.copy(meta={**token.meta, "fit": fit})
        start = i
        while fit.landscape and start >= 3 and tokens[start - 1].type == "heading_close":
            start -= 3  # heading_open, inline, heading_close
            heading = out[start]
            classes = f"{heading.attrGet('class') or ''} table-wide-title".strip()
            out[start] = heading.copy(attrs={**heading.attrs, "class": classes})
    return out


def fitter(book: Book) -> Fitter:
    return Fitter(book.root, book.config.build.paper)


def table_findings(book: Book) -> list[Diagnostic]:
    """A warning for each table printed smaller, turned, or broken: what every build and
    `check` report, at the table's first line."""
    measure = fitter(book)
    found = []
    for chapter in book.chapters:
        tokens = chapter.tokens
        for i, token in enumerate(tokens):
            if token.type == "table_open":
                diagnostic = measure.fit(tokens, i).diagnostic(chapter)
                if diagnostic is not None:
                    found.append(diagnostic)
    return found
