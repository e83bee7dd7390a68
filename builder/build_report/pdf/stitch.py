"""One PDF from the parts of a chapter-parallel build, with pypdf's public API only."""

from __future__ import annotations

import io


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
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter()
    first = PdfReader(io.BytesIO(front))
    writer.append(first, import_outline=False)
    for data, goes_on in zip(parts, continued or [False] * len(parts), strict=True):
        reader = PdfReader(io.BytesIO(data))
        offset = len(writer.pages)
        writer.append(reader, import_outline=not goes_on)
        outline_root = writer.get_outline_root()
        if goes_on and reader.outline and "/Last" in outline_root:
            _copy_outline(writer, reader, reader.outline, offset, outline_root["/Last"])
    root = writer.root_object
    if "/Names" in root:
        del root[NameObject("/Names")]
    for name, index in sorted(starts.items()):
        writer.add_named_destination(name, index)
    if first.metadata:
        metadata = dict(first.metadata.items())
        for key in ("/CreationDate", "/ModDate"):  # `created`: the build's clock, in PDF form
            if created and key in metadata:
                metadata[key] = created
        writer.add_metadata(metadata)
    if "/Lang" in first.trailer["/Root"]:
        root[NameObject("/Lang")] = first.trailer["/Root"]["/Lang"]
    overlays = [None] * len(first.pages)  # the contents carry their own footers
    overlays += [page for data in footers for page in PdfReader(io.BytesIO(data)).pages]
    lay_over(writer, overlays)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _copy_outline(writer, reader, items: list, offset: int, parent) -> None:
    """`items` (an outline of `reader`, whose pages start at `offset` in `writer`) added under
    `parent`, each entry with its place on its page."""
    from pypdf.generic import Fit

    last = None
    for item in items:
        if isinstance(item, list):
            if last is not None:
                _copy_outline(writer, reader, item, offset, last)
            continue
        page = offset + reader.get_destination_page_number(item)
        fit = Fit.xyz(item.left, item.top, item.zoom) if item.typ == "/XYZ" else Fit.fit()
        last = writer.add_outline_item(item.title, page, parent=parent, fit=fit)


def _streams(writer, *texts: bytes) -> list:
    """New content streams in `writer`, as indirect references: made in a scratch PDF, where
    pypdf's public API can make them, and cloned across (a clone is registered in its writer)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream, DecodedStreamObject

    scratch = PdfWriter()
    for text in texts:
        page = scratch.add_blank_page(1, 1)
        stream = DecodedStreamObject()
        stream.set_data(text)
        page.replace_contents(ContentStream(stream, scratch))
    out = io.BytesIO()
    scratch.write(out)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    return [
        page["/Contents"].get_object().clone(writer).indirect_reference for page in reader.pages
    ]


def lay_over(writer, overlays) -> None:
    """Draw each overlay page on top of the writer's page of the same index.

    Each overlay's content stream, cloned as stored (no decoding, no recompression), becomes a
    form XObject with the overlay's resources, and the page gets two short content streams
    around its own ("q" before, "Q /footer Do" after). pypdf's merge_page would parse and
    rewrite every page's content instead: slower, and stored uncompressed (a 2 MiB book came
    out at 23 MiB).
    """
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    before, after = _streams(writer, b"q\n", b"Q\nq /BRfooter Do Q\n")
    for page, overlay in zip(writer.pages, overlays, strict=True):
        if overlay is None:
            continue
        form = overlay["/Contents"].get_object().clone(writer, force_duplicate=True)
        form.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): overlay.mediabox,
                NameObject("/Resources"): overlay["/Resources"].get_object().clone(writer),
            }
        )
        resources = DictionaryObject(page["/Resources"].get_object())
        xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
        xobjects[NameObject("/BRfooter")] = form.indirect_reference
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        # raw_get: the reference as stored. page["/Contents"] resolves it, and putting the
        # resolved stream in the array would write it inline, which no PDF may hold (streams
        # are indirect objects; strict readers such as pdfminer then lose pages).
        own = page.raw_get("/Contents")
        own = list(own.get_object()) if isinstance(own.get_object(), ArrayObject) else [own]
        page[NameObject("/Contents")] = ArrayObject([before, *own, after])
