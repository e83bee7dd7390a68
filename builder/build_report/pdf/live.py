"""The live PDF (`preview --pdf`) lays out again only the pages an edit can have moved.

A rebuild lays out the part whose chapter changed (parallel.py); for a long chapter that is
most of the time it takes, though an edit in its middle leaves every page before it as it was,
and, once the text after it falls on the pages as before, every page after it too. So each
live build leaves, in the session's scratch folder, what it knows of each chapter's layout
(`Laid`: its part's HTML, its body's elements, and the pages that start cleanly with one of
them: internals.Pagination). The next build compares the chapter's elements with the last
ones and, when only some in the middle changed (`window`):

1. it lays out the chapter from the last clean page start at least two elements before the
   first change (everything before decides that page alone), or from its head, to its end,
   as a `Window` part
   whose layout stops at the first page that starts cleanly where a page started cleanly
   before, after the change (the same element, the same footnote count: what follows is the
   last layout's);
2. the part is then the last layout's pages before the window, the window's, and the last
   layout's from where the window stopped (splice.py), kept in the part store under the
   chapter part's own HTML: the PDF is the one a whole layout makes, page for page
   (tests/pdf/test_live.py compares them).

Anything else (a chapter met for the first time, a change in its head or stylesheets, a part
the store no longer has) lays out the whole part, as before.
"""

from __future__ import annotations

import hashlib
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

from build_report.pdf.split import NOTE

INDEX = "live-layouts.pickle"  # in the session's scratch folder (processes.scratch_folder)
MARGIN = 2  # a window starts this many elements before the first change, at least
TAG_NAME = re.compile(r"<([a-zA-Z][\w:.-]*)")
HEADINGS = frozenset(f"h{n}" for n in range(1, 7))


@dataclass(frozen=True)
class Laid:
    """A chapter's part as the last live build laid it out."""

    html: str  # the part's HTML: what the part store keeps it under
    frame: str  # a digest of that HTML around the chapter's body
    tops: tuple[str, ...]  # the body's elements (split.top_level)
    clean: tuple[tuple[int, int, str], ...]  # (element, page, tag): pages that start cleanly
    pages: int


@dataclass(frozen=True)
class Window:
    """A chapter part laid out again from element `start`, which starts page `first` of the
    last layout (`old`, in the part store), and stopped at the first of `stops` (window
    element index -> its page in the last layout) that starts a page again."""

    whole: tuple[str, list[str]]  # the part's own HTML and stand-ins, as parallel.plan made them
    old: str
    old_pages: int
    start: int
    first: int
    stops: dict[int, int]
    grown: int  # elements in the chapter now, less then


def frame(html: str, body: str) -> str:
    """What a part's HTML holds besides the chapter's body (its head, stylesheets, stand-ins,
    the chapter's title and aids), as a digest: a window needs it unchanged."""
    return hashlib.sha256(html.replace(body, "\0", 1).encode()).hexdigest()


def tag_of(element: str) -> str:
    found = TAG_NAME.match(element)
    return found.group(1).lower() if found else ""


def window(before: Laid, tops: list[str]) -> tuple[int, int, dict[int, int]] | None:
    """(start element, its page, stops) for laying out a chapter whose elements were
    `before.tops` and are `tops` (start 0: from the chapter's head, when no page starts
    cleanly before the change), or None when a whole layout is needed: neither a start nor a
    stop, footnotes added or taken away (the later ones would be numbered otherwise), or a
    heading changed."""
    old = before.tops
    limit = min(len(old), len(tops))
    same = 0
    while same < limit and old[same] == tops[same]:
        same += 1
    tail = 0
    while tail < limit - same and old[-1 - tail] == tops[-1 - tail]:
        tail += 1
    if same == len(old) == len(tops):
        return None
    was, now = old[same : len(old) - tail], tops[same : len(tops) - tail]
    if sum(e.count(NOTE) for e in was) != sum(e.count(NOTE) for e in now):
        return None
    if any(tag_of(e) in HEADINGS for e in (*was, *now)):
        return None  # a stylesheet may carry a heading's text to later running heads
    known = [(k, page) for k, page, tag in before.clean if k < len(old) and tag_of(old[k]) == tag]
    starts = [(k, page) for k, page in known if 0 < k <= same - MARGIN]
    start, first = max(starts) if starts else (0, 0)  # 0: from the chapter's head
    grown = len(tops) - len(old)
    stops = {
        k + grown - start: page
        for k, page in known
        if k >= len(old) - tail and k + grown > start and page > first
    }
    if not starts and not stops:
        return None  # the whole chapter, as without a window
    return start, first, stops


def read_index(folder: Path | None) -> dict[str, Laid]:
    """The last live build's chapters, by anchor ({} outside a live session)."""
    if folder is None:
        return {}
    try:
        with open(folder / INDEX, "rb") as file:
            found = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return {}
    return found if isinstance(found, dict) else {}


def write_index(folder: Path | None, laid: dict[str, Laid]) -> None:
    """Keep this build's chapters for the next (the scratch folder is the session's own, made
    private by tempfile.mkdtemp, and goes when it ends)."""
    if folder is None:
        return
    try:
        with open(folder / f"{INDEX}.new", "wb") as file:
            pickle.dump(laid, file, protocol=pickle.HIGHEST_PROTOCOL)
        (folder / f"{INDEX}.new").replace(folder / INDEX)
    except OSError:
        pass
