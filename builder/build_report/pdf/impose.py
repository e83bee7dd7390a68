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


def n_up(data: bytes, n: int, paper: tuple[float, float]) -> bytes:
    """2-up: two pages side by side on a landscape sheet of `paper` (portrait width, height);
    4-up: a 2x2 grid on a portrait sheet. Each page is scaled to fit its cell: pages laid out
    at half or a quarter of the sheet (the handout's) sit at full size, others are reduced."""
    if n not in (2, 4):
        raise ValueError("n-up must be 2 or 4")
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter()
    width, height = (paper[1], paper[0]) if n == 2 else paper
    cols, rows = (2, 1) if n == 2 else (2, 2)
    cw, ch = width / cols, height / rows
    pages = list(reader.pages)
    for start in range(0, len(pages), n):
        sheet = writer.add_blank_page(width, height)
        for i, page in enumerate(pages[start : start + n]):
            col, row = i % cols, i // cols
            _place(sheet, page, col * cw, height - (row + 1) * ch, cw, ch)
    return _bytes(writer, reader)


def sheets(pages: int, booklet: bool, n_up: int) -> int:
    """Sheets of paper an imposed document prints on: a booklet's sheets carry four pages
    (two a side, printed double-sided); n-up sheets carry n, on one side."""
    per_sheet = 4 if booklet else n_up
    return -(-pages // per_sheet)


def imposition(booklet: bool, n_up: int) -> str:
    """How the pages are put on sheets, for the build's report line ("" for one a sheet)."""
    return "booklet" if booklet else (f"{n_up}-up" if n_up > 1 else "")


def _bytes(writer: PdfWriter, reader: PdfReader) -> bytes:
    if reader.metadata:
        writer.add_metadata({k: v for k, v in reader.metadata.items() if isinstance(k, str)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
