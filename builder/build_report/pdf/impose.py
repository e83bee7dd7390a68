"""Imposition for printing: booklets for saddle stitching, and 2 or 4 pages on a sheet (pypdf)."""

from __future__ import annotations

import io

from pypdf import PageObject, PdfReader, PdfWriter, Transformation


def booklet_order(pages: int) -> list[tuple[int | None, int | None]]:
    """Page numbers (0-based; None for a blank) for each sheet side, left then right.

    Pages are padded to a multiple of 4. Printed duplex, flipped on the short edge, folded and
    stapled, the sides read in order: sheet 1 front is (last, first), its back (second,
    second-to-last), and so on inwards.
    """
    padded = -(-pages // 4) * 4 if pages else 0
    sides = []
    for sheet in range(padded // 4):
        front = (padded - 1 - 2 * sheet, 2 * sheet)
        back = (2 * sheet + 1, padded - 2 - 2 * sheet)
        sides += [front, back]
    return [tuple(n if n < pages else None for n in side) for side in sides]


def _place(sheet: PageObject, page: PageObject, x: float, y: float, w: float, h: float) -> None:
    """Scale `page` to fit the cell (x, y, w, h) keeping its proportions, centred."""
    pw, ph = float(page.mediabox.width), float(page.mediabox.height)
    scale = min(w / pw, h / ph)
    dx = x + (w - pw * scale) / 2 - float(page.mediabox.left) * scale
    dy = y + (h - ph * scale) / 2 - float(page.mediabox.bottom) * scale
    sheet.merge_transformed_page(page, Transformation().scale(scale, scale).translate(dx, dy))


def _sheet_size(reader: PdfReader, landscape: bool) -> tuple[float, float]:
    """Sheets are the document's own paper size: an A4 book becomes A4 sheets."""
    box = reader.pages[0].mediabox
    w, h = sorted((float(box.width), float(box.height)))
    return (h, w) if landscape else (w, h)


def booklet(data: bytes, paper: tuple[float, float]) -> bytes:
    """Two pages side by side on a landscape sheet of `paper` (portrait width, height): pages
    laid out at A5 sit at full size on A4, half-letter on letter."""
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter()
    height, width = paper
    for left, right in booklet_order(len(reader.pages)):
        sheet = writer.add_blank_page(width, height)
        for n, x in ((left, 0.0), (right, width / 2)):
            if n is not None:
                _place(sheet, reader.pages[n], x, 0.0, width / 2, height)
    return _bytes(writer, reader)


def n_up(data: bytes, n: int) -> bytes:
    """2-up: two pages side by side on a landscape sheet; 4-up: a 2x2 grid on a portrait sheet."""
    if n not in (2, 4):
        raise ValueError("n-up must be 2 or 4")
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter()
    width, height = _sheet_size(reader, landscape=n == 2)
    cols, rows = (2, 1) if n == 2 else (2, 2)
    cw, ch = width / cols, height / rows
    pages = list(reader.pages)
    for start in range(0, len(pages), n):
        sheet = writer.add_blank_page(width, height)
        for i, page in enumerate(pages[start : start + n]):
            col, row = i % cols, i // cols
            _place(sheet, page, col * cw, height - (row + 1) * ch, cw, ch)
    return _bytes(writer, reader)


def _bytes(writer: PdfWriter, reader: PdfReader) -> bytes:
    if reader.metadata:
        writer.add_metadata({k: v for k, v in reader.metadata.items() if isinstance(k, str)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
