"""Pure transforms Book -> Book, applied before rendering: editions and chapter selection."""

from __future__ import annotations

import dataclasses
import re

from build_report.errors import BuildError, did_you_mean
from build_report.markup.parser import without_teacher_blocks
from build_report.project.model import Book, Chapter, Question


def apply_edition(book: Book, name: str) -> Book:
    """Keep teacher material only in editions that have it; drop it from the model otherwise,
    so no writer can leak it."""
    editions = book.config.editions
    if name not in editions:
        raise BuildError(
            "report.toml", f"unknown edition '{name}'", did_you_mean(name, list(editions))
        )
    edition = editions[name]
    if edition.teacher_material:
        return dataclasses.replace(book, edition=edition)
    chapters = tuple(_student(chapter) for chapter in book.chapters)
    return dataclasses.replace(book, chapters=chapters, edition=edition)


def _student(chapter: Chapter) -> Chapter:
    return dataclasses.replace(
        chapter,
        teacher_notes="",
        teacher_notes_length=len(chapter.teacher_notes),
        # the answer and the passage that gives it away are the teacher's: only the answer's
        # length stays, so the handout rules room enough for it in every edition
        questions=tuple(Question(q.text, answer_length=len(q.answer)) for q in chapter.questions),
        tokens=tuple(without_teacher_blocks(list(chapter.tokens), chapter.env)),
    )


def parse_selection(spec: str, count: int) -> list[int]:
    """`2`, `2-4`, `1,3-5`: chapter numbers, 1-based, each within the book."""
    numbers: list[int] = []
    for part in spec.split(","):
        found = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not found:
            raise BuildError(
                "--chapters",
                f"'{spec}' is not a chapter selection",
                "write a number, a range such as 2-4, or a list such as 1,3-5",
            )
        first = int(found.group(1))
        last = int(found.group(2) or first)
        if not 1 <= first <= last <= count:
            raise BuildError(
                "--chapters",
                f"'{part.strip()}' is outside chapters 1-{count}",
                "pick chapters that exist",
            )
        numbers += [n for n in range(first, last + 1) if n not in numbers]
    return numbers


def select_chapters(book: Book, spec: str | None) -> Book:
    """Keep the chosen chapters; they keep their numbers, so "Chapter 3" stays Chapter 3."""
    if not spec:
        return book
    keep = parse_selection(spec, len(book.chapters))
    chapters = tuple(ch for ch in book.chapters if ch.number in keep)
    return dataclasses.replace(book, chapters=chapters, whole=book.all_chapters)
