"""A long chapter laid out in pieces, cut before some of its sections (## headings).

A parallel build (parallel.py) shares the work out in parts, and a part is at least a chapter:
a book that is one long chapter would lay out in one process whatever the cores. So a chapter
of SPLIT_FROM_CHARS or more is cut before a top-level `##` section about every PIECE_CHARS,
and each piece after the first starts a page. The piece then lays out alone as it does inside
the book, so it can be a part of its own.

The cut is the book's, not the build's: it depends on the chapter's length only, and a
single-process build breaks the page at the same sections (`marked`), so the PDF is the same
whatever the number of processes, or of cores. What a piece needs of the chapter before it
comes with it: the running head's title (a `string-set`) and the footnote counter
(`counter-reset`, so that notes go on being numbered from where the earlier piece ended).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from markupsafe import Markup

# In characters of source; about 1,500 make a page of the briefing theme's 10-point column
# (measured: a 60,000-character piece made 41 pages), up to twice that in the wider themes.
SPLIT_FROM_CHARS = 60_000  # about 40 pages: a chapter this long is laid out in pieces
PIECE_CHARS = 30_000  # about 20 pages between two cuts: a page break every 20 pages at most
TAG = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][\w:.-]*)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>", re.S)
VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)  # elements without an end tag
BREAK = ' style="break-before: page"'  # on the <h2> a piece starts with
NOTE = 'class="footnote"'  # a footnote call (markup/renderer.py); CSS counts them per chapter


@dataclass(frozen=True)
class Piece:
    """A piece of a chapter after its first: what the print template needs to go on with it
    (templates/print.html.jinja)."""

    chapter: object  # project.model.Chapter
    body: Markup
    notes_before: int  # footnotes in the chapter's earlier pieces
    running_head: str  # the chapter's title as a CSS string, for the running head
    continued: bool = True


def size(chapter) -> int:
    """A chapter's length in characters of source: what its layout will roughly cost."""
    return sum(len(t.content) for t in chapter.tokens) + 1


def cut_points(body: str, length: int) -> list[int]:
    """Where `body` (a chapter's HTML, of `length` characters of source) is cut: before a
    top-level <h2>, once at least a piece's worth of text is behind and half of one is ahead."""
    if length < SPLIT_FROM_CHARS:
        return []
    step = len(body) * PIECE_CHARS / length  # a piece's worth of the body's characters
    points: list[int] = []
    last = 0
    depth = 0
    for tag in TAG.finditer(body):
        closing, name, empty = tag.group(1), tag.group(2), tag.group(3)
        if name is None:  # a comment
            continue
        name = name.lower()
        if closing:
            depth = max(depth - 1, 0)
            continue
        start = tag.start()
        if depth == 0 and name == "h2" and start - last >= step and len(body) - start >= step / 2:
            points.append(start)
            last = start
        if not empty and name not in VOID:
            depth += 1
    return points


def pieces(item, length: int) -> list:
    """The chapter's HTML (documents.ChapterHtml) as pieces: the first is the chapter with the
    body up to the first cut, each other a `Piece`. One item when the chapter is not cut."""
    body = str(item.body)
    points = cut_points(body, length)
    if not points:
        return [item]
    bounds = [0, *points, len(body)]
    texts = [body[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    from build_report.pdf.parallel import css_string

    head = css_string(item.chapter.title)
    out: list = [replace(item, body=Markup(texts[0]))]
    notes = texts[0].count(NOTE)
    for text in texts[1:]:
        out.append(Piece(item.chapter, Markup(text[:3] + BREAK + text[3:]), notes, head))
        notes += text.count(NOTE)
    return out


def marked(items: list) -> list:
    """The chapters for a single-process build: each long chapter whole, with its page breaks
    where a parallel build cuts it."""
    out = []
    for item in items:
        found = pieces(item, size(item.chapter))
        if len(found) == 1:
            out.append(item)
        else:
            out.append(replace(item, body=Markup("".join(str(p.body) for p in found))))
    return out


def top_level(body: str) -> list[str] | None:
    """The elements of a chapter's body HTML, each whole (what `.chapter-body` holds, as the
    layout's elements), or None if text or a comment stands between them (the layout would
    count them otherwise: live.py then leaves the chapter alone)."""
    out: list[str] = []
    depth = 0
    start = 0
    last = 0
    for tag in TAG.finditer(body):
        closing, name, empty = tag.group(1), tag.group(2), tag.group(3)
        if name is None:  # a comment: the layout's tree may count it, as an element
            if depth == 0:
                return None
            continue
        if depth == 0:
            if closing or body[last : tag.start()].strip():
                return None
            start = tag.start()
        if closing:
            depth -= 1
        elif not empty and name.lower() not in VOID:
            depth += 1
        if depth == 0:
            out.append(body[start : tag.end()])
            last = tag.end()
    if depth != 0 or body[last:].strip():
        return None
    return out
