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
MARGIN = 3  # a window starts this many elements before the first change, at least
TAG_NAME = re.compile(r"<([a-zA-Z][\w:.-]*)")
HEADING = re.compile(r"<h[1-6][\s>]", re.IGNORECASE)
ID = re.compile(r'\sid="[^"]*"')
# A window's section and body start on its first page, where the whole layout's go on from
# the page before: no top margin, border or padding there.
WINDOW_CSS = (
    ".chapter, .chapter > .chapter-body"
    " { margin-top: 0 !important; padding-top: 0 !important; border-top: none !important; }"
)
SPLICED = "\n<!-- spliced by live.py -->"  # a spliced part's key: live builds' own
# page selectors by side or place: a window's first page is its own document's first, and a
# right-hand one, wherever it falls in the book
SIDED = re.compile(r"@page\b[^{;]*:(?:left|right|first|blank|recto|verso|nth)\b", re.IGNORECASE)


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
    last layout (`old`, in the part store), and stopped at the first of `stops` (element
    index -> its page in the last layout) that starts a page again. The elements before
    `start` are in the window's document, not shown (`hidden`), so every element has its
    index in the chapter there."""

    whole: tuple[str, list[str]]  # the part's own HTML and stand-ins, as parallel.plan made them
    old: str
    old_pages: int
    start: int
    first: int
    stops: dict[int, int]
    grown: int  # elements in the chapter now, less then


def hidden(element: str) -> str:
    """An element before a window, in its document but not shown (nor its ids, which the
    window links to as stand-ins): sibling selectors (`p + p`) count it, as in the whole."""
    name = TAG_NAME.match(element)
    if name is None:
        return element
    tagged = element[: name.end()] + ' style="display: none !important"' + element[name.end() :]
    return ID.sub("", tagged)


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
    if any(HEADING.search(element) for element in (*was, *now)):
        return None  # a stylesheet may carry a heading's text to later running heads
    known = [(k, page) for k, page, tag in before.clean if k < len(old) and tag_of(old[k]) == tag]
    starts = [(k, page) for k, page in known if 0 < k <= same - MARGIN]
    start, first = max(starts) if starts else (0, 0)  # 0: from the chapter's head
    grown = len(tops) - len(old)
    stops = {  # by the elements' places now
        k + grown: page
        for k, page in known
        if k >= len(old) - tail and k + grown > start and page > first
    }
    if not starts and not stops:
        return None  # the whole chapter, as without a window
    return start, first, stops


def sided(root: Path, stylesheets: list[str]) -> bool:
    """Whether the print stylesheets (and what they import) style pages by their side, or the
    first or a blank one: then no window, whose pages would be styled by their place in it."""
    from build_report.markup.references import css_references, css_target

    sheets = list(stylesheets)
    for first in stylesheets:
        sheets += [css_target(ref) for ref in css_references(root, first)]
    for href in dict.fromkeys(sheets):
        path = root / href
        if href.endswith(".css") and path.is_file() and SIDED.search(_text(path)):
            return True
    return False


def _text(path: Path) -> str:
    return path.read_text("utf-8", errors="replace")


def read_index(folder: Path | None) -> dict[str, Laid]:
    """The last live build's chapters, by anchor ({} outside a live session)."""
    if folder is None:
        return {}
    try:
        with open(folder / INDEX, "rb") as file:
            found = pickle.load(file)
    except Exception:  # noqa: BLE001 - a damaged index only means whole layouts
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
