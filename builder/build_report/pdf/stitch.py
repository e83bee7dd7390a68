"""One PDF from the parts of a chapter-parallel build, with pypdf's public API only."""

from __future__ import annotations

import io


def stitch(front: bytes, parts: list[bytes], starts: dict[str, int], footers: list[bytes]) -> bytes:
    """One PDF from the parts: their pages and outlines in order, the real named destinations
    only, the front's metadata, and each part's footers (an overlay PDF a part) laid over its
    pages."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter()
    first = PdfReader(io.BytesIO(front))
    writer.append(first, import_outline=False)
    for data in parts:
        writer.append(PdfReader(io.BytesIO(data)), import_outline=True)
    root = writer.root_object
    if "/Names" in root:
        del root[NameObject("/Names")]
    for name, index in sorted(starts.items()):
        writer.add_named_destination(name, index)
    if first.metadata:
        writer.add_metadata({k: v for k, v in first.metadata.items()})
    if "/Lang" in first.trailer["/Root"]:
        root[NameObject("/Lang")] = first.trailer["/Root"]["/Lang"]
    overlays = [None] * len(first.pages)  # the contents carry their own footers
    overlays += [page for data in footers for page in PdfReader(io.BytesIO(data)).pages]
    lay_over(writer, overlays)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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
