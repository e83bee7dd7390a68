"""One PDF from the parts of a chapter-parallel build, with pikepdf (qpdf): the parts of a
300-chapter book are read, joined and written in well under a second, where pypdf's reader,
in Python, took five (a serial step at the end of every parallel build)."""

from __future__ import annotations

import io


def preload() -> None:
    """Import pikepdf now (about 0.1 s), while the layout processes work, not in the build's
    serial end, which waits on every step."""
    import pikepdf  # noqa: F401


def stitch(
    front: bytes,
    parts: list[bytes],
    starts: dict[str, int],
    footers: list[bytes],
    continued: list[bool] | None = None,
    created: str | None = None,
) -> bytes:
    """One PDF from the parts: their pages and outlines in order, the real named destinations
    only, the front's metadata dated `created` (the front may be an earlier build's), and each
    part's footers (an overlay PDF a part) laid over its pages. The outline of a part that goes
    on with the chapter before it (`continued`: a long chapter's later piece, split.py) goes
    under that chapter's entry, as in one document."""
    import warnings

    import pikepdf

    # pages.extend warns that named destinations do not come along: they are made anew below
    warnings.filterwarnings("ignore", category=pikepdf.PageCopyWarning)
    first = pikepdf.open(io.BytesIO(front))
    out = pikepdf.new()
    out.pages.extend(first.pages)
    entries: list = []  # the book's outline: (title, page, place, children)
    for data, goes_on in zip(parts, continued or [False] * len(parts), strict=True):
        reader = pikepdf.open(io.BytesIO(data))
        offset = len(out.pages)
        out.pages.extend(reader.pages)
        found = _outline(reader, offset)
        if goes_on and entries:
            entries[-1][3].extend(found)
        else:
            entries.extend(found)
    with out.open_outline() as outline:
        outline.root.extend(_items(out, entries))
    name_destinations(out, starts)
    info = first.trailer.get("/Info")
    if info is not None:
        out.docinfo = out.copy_foreign(info)
        for key in ("/CreationDate", "/ModDate"):  # `created`: the build's clock, in PDF form
            if created and key in out.docinfo:
                out.docinfo[key] = pikepdf.String(created)
    if "/Lang" in first.Root:
        out.Root.Lang = first.Root.Lang
    opened = [pikepdf.open(io.BytesIO(data)) for data in footers]  # alive while copied
    overlays = [page for pdf in opened for page in pdf.pages]
    for page, overlay in zip(out.pages[len(first.pages) :], overlays, strict=True):
        _lay_over(page, pikepdf.Page(out.copy_foreign(overlay.obj)))
    buffer = io.BytesIO()
    out.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate, deterministic_id=True)
    return buffer.getvalue()


def name_destinations(out, anchors: dict[str, int]) -> None:
    """`out`'s named destinations, made anew: each anchor at the top of its page (index)."""
    import pikepdf

    names = pikepdf.NameTree.new(out)
    for name, index in sorted(anchors.items()):
        page = out.pages[index]
        names[name] = pikepdf.Array([page.obj, pikepdf.Name.FitH, float(page.mediabox[3])])
    out.Root.Names = pikepdf.Dictionary(Dests=names.obj)


def _lay_over(page, overlay) -> None:
    """`overlay` drawn over `page` as a form XObject, as pikepdf's `Page.add_overlay` does,
    but with the page's own content streams left as they are: add_overlay joins them into
    one stream, decompressed, which qpdf then compresses again when saving (two thirds of
    the stitching of a 185-page book)."""
    import pikepdf

    form = overlay.as_form_xobject()
    name = page.add_resource(form, pikepdf.Name.XObject)
    placed = page.calc_form_xobject_placement(form, name, pikepdf.Rectangle(page.trimbox))
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n" + placed)


def _outline(reader, offset: int) -> list:
    """The part's outline as (title, page in the book, (left, top, zoom) or None, children)."""
    pages = {page.objgen: i for i, page in enumerate(reader.pages)}
    with reader.open_outline() as outline:
        return [_entry(item, pages, offset) for item in outline.root]


def _entry(item, pages: dict, offset: int) -> tuple:
    destination = item.destination
    page, place = 0, None
    if destination is not None and len(destination) >= 2:
        page = pages.get(destination[0].objgen, 0)
        if str(destination[1]) == "/XYZ" and len(destination) >= 5:
            place = tuple(None if v is None else float(v) for v in list(destination)[2:5])
    children = [_entry(child, pages, offset) for child in item.children]
    return (str(item.title), offset + page, place, children)


def _items(out, entries: list) -> list:
    import pikepdf

    made = []
    for title, page, place, children in entries:
        if place is None:
            item = pikepdf.OutlineItem(title, page)
        else:
            left, top, zoom = place
            item = pikepdf.OutlineItem(title, page, "XYZ", left=left, top=top, zoom=zoom)
        item.children.extend(_items(out, children))
        made.append(item)
    return made
