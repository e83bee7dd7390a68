"""The classroom handout: the print pipeline with its own template and stylesheet."""

from __future__ import annotations

import dataclasses

from build_report.pdf.adapter import Layout, PdfOptions
from build_report.project.model import Book


def selection_label(book: Book, spec: str | None) -> str:
    if not spec:
        return ""
    numbers = [ch.number for ch in book.chapters]
    if len(numbers) == 1:
        return f"Chapter {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"Chapters {numbers[0]}–{numbers[-1]}"
    return "Chapters " + ", ".join(map(str, numbers))


def per_sheet(options: PdfOptions) -> int:
    """Handout pages on a side of the printed sheet: a booklet's and a 2-up's are laid out at
    half the paper, a 4-up's at a quarter (each then placed at full size: impose.py)."""
    return 2 if options.booklet else options.n_up


def handout_layout(book: Book, options: PdfOptions, selection: str | None = None) -> Layout:
    from build_report.html.documents import handout_document

    briefing, inputs = None, ()
    if book.config.handout.briefing_pages:  # the briefing's pages, as its PDF lays them out
        from build_report.pages.record import cited_pages

        briefing, inputs = cited_pages(book, no_cache=not options.uses_store)
    label = selection_label(book, selection)
    html = handout_document(book, label, per_sheet=per_sheet(options), briefing=briefing)
    layout = Layout.of(book, html, book.config.handout.css)
    return dataclasses.replace(layout, also_read=inputs) if inputs else layout
