"""The classroom handout: the print pipeline with its own template and stylesheet."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from build_report.errors import Diagnostic
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
    from build_report.html.documents import NOTE_CHARS_PER_LINE, handout_document

    sides = per_sheet(options)
    html = handout_document(book, selection_label(book, selection), per_sheet=sides)
    layout = Layout.of(book, html, book.config.handout.css)
    fold = {1: "full", 2: "half", 4: "quarter"}[sides]
    crowded = tuple(long_answers(book, NOTE_CHARS_PER_LINE[fold]))
    return dataclasses.replace(layout, warnings=layout.warnings + crowded)


def long_answers(book: Book, chars_per_line: int) -> Iterator[Diagnostic]:
    """A teacher's answer is written on the student's ruled lines, so that both editions break
    their pages alike: one longer than the lines hold would run over what follows."""
    lines = book.config.handout.answer_lines
    for chapter in book.chapters:
        for number, question in enumerate(chapter.questions, 1):
            if question.answer and len(question.answer) > lines * chars_per_line:
                yield Diagnostic(
                    chapter.source,
                    None,
                    message=f"the answer to question {number} may not fit on the {lines} "
                    f"ruled line{'s' if lines != 1 else ''} under it in the handout; shorten "
                    "it, or raise answer_lines under [handout]",
                    kind="handout answer longer than its lines",
                )
