"""A chapter part made of the pages of its last layout and of a window laid out anew (live.py),
with pikepdf: the last layout's pages before the window, the window's, and the last layout's
from where the window stopped, one outline for them all, and the anchors' pages."""

from __future__ import annotations

import io

from build_report.pdf.stitch import _items, _outline, name_destinations


def splice(
    old: bytes,
    old_levels: tuple[int, ...],
    first: int,
    resumed: int,
    window: bytes,
    window_levels: tuple[int, ...],
    anchors: dict[str, int],
) -> tuple[bytes, tuple[int, ...]]:
    """Pages [0, first) of `old`, every page of `window`, then pages [resumed, end) of `old`;
    the outline entries of the pages kept, in page order, nested again by their levels (CSS
    `bookmark-level`, as the engine nests them: `_nested`); `anchors` ({name: page}) as the
    named destinations. The PDF's bytes and its entries' levels."""
    import warnings

    import pikepdf

    warnings.filterwarnings("ignore", category=pikepdf.PageCopyWarning)
    before = pikepdf.open(io.BytesIO(old))
    fresh = pikepdf.open(io.BytesIO(window))
    out = pikepdf.new()
    out.pages.extend(before.pages[:first])
    out.pages.extend(fresh.pages)
    out.pages.extend(before.pages[resumed:])
    shift = first + len(fresh.pages) - resumed
    kept = _levelled(_outline(before, 0), old_levels)
    entries = [entry for entry in kept if entry[2] < first]  # (level, title, page, place)
    entries += _levelled(_outline(fresh, first), window_levels)
    entries += [(lv, title, p + shift, place) for lv, title, p, place in kept if p >= resumed]
    with out.open_outline() as outline:
        outline.root.extend(_items(out, _nested(entries)))
    name_destinations(out, anchors)
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True)
    return buffer.getvalue(), tuple(level for level, *_ in entries)


def _levelled(tree: list, levels: tuple[int, ...]) -> list[tuple]:
    """stitch._outline's tree as its entries in document order, (level, title, page, place),
    with the levels the layout gave them (`levels`, in the same order), or, if they do not
    match, their depths in the tree (what the outline shows)."""
    flat: list[tuple] = []

    def walk(entries: list, depth: int) -> None:
        for title, page, place, children in entries:
            flat.append((depth, title, page, place))
            walk(children, depth + 1)

    walk(tree, 1)
    if len(levels) == len(flat):
        return [(level, *entry[1:]) for level, entry in zip(levels, flat, strict=True)]
    return flat


def _nested(entries: list[tuple]) -> list:
    """Entries (level, title, page, place) as a tree of (title, page, place, children),
    nested as WeasyPrint nests bookmarks (`Document.make_bookmark_tree`): an entry goes under
    the last one of a lower level, and a level skipped (an h3 straight after an h1) makes no
    empty entry."""
    root: list = []
    chain: list[tuple[int, list]] = [(0, root)]  # (level, children) of the open entries
    for level, title, page, place in entries:
        while len(chain) > 1 and chain[-1][0] >= level:
            chain.pop()
        children: list = []
        chain[-1][1].append((title, page, place, children))
        chain.append((level, children))
    return root
