"""Write the classroom handout PDF: the print pipeline with its own template and stylesheet."""

from __future__ import annotations

from pathlib import Path

from build_report import files
from build_report.project.model import Book
from build_report.pdf.adapter import Layout, PdfOptions, PdfResult, check_stylesheet, write_layout
from build_report.html.documents import render_handout


def selection_label(book: Book, spec: str | None) -> str:
    if not spec:
        return ""
    numbers = [ch.number for ch in book.chapters]
    if len(numbers) == 1:
        return f"Chapter {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"Chapters {numbers[0]}–{numbers[-1]}"
    return "Chapters " + ", ".join(map(str, numbers))


def write_handout(
    book: Book, output: Path, options: PdfOptions, selection: str | None = None
) -> PdfResult:
    return write_layout(handout_layout(book, output, options, selection), output, options)


def handout_layout(
    book: Book, output: Path, options: PdfOptions, selection: str | None = None
) -> Layout:
    check_stylesheet(book.config.handout.css, book.root, key="css under [handout]")
    files.check_target(output, book.root)
    html = render_handout(book, selection_label(book, selection), booklet=options.booklet)
    return Layout.of(book, html, book.config.handout.css)
