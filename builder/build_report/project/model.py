"""The in-memory model of a book that every writer receives, frozen so no writer changes it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from build_report.errors import Diagnostic
from build_report.project.config import DEFAULT_EDITIONS, Config, Edition


class KeyPoint(str):
    """A key point: its text (so everything that reads a key point as a string still does),
    with the `source:` quote from the chapter that supports it and that quote's front matter
    line (markup/aidsources.py checks the quote and links the point to it)."""

    source: str
    line: int
    source_chapter: str  # the chapter file the quote is in, when not the aid's own

    def __new__(
        cls, text: str, source: str = "", line: int = 0, source_chapter: str = ""
    ) -> KeyPoint:
        point = super().__new__(cls, text)
        point.source, point.line, point.source_chapter = source, line, source_chapter
        return point

    def __reduce__(self):  # pickled into the build's child processes with its source
        return (KeyPoint, (str(self), self.source, self.line, self.source_chapter))


@dataclass(frozen=True)
class TimelineEntry:
    date: str
    event: str
    source: str = ""  # a quote from the chapter's text that supports the entry
    line: int = field(default=0, compare=False)  # the front matter line of the source
    source_chapter: str = ""  # the chapter file the quote is in, when not the entry's own


@dataclass(frozen=True)
class KeyTerm:
    term: str
    definition: str
    source: str = ""
    line: int = field(default=0, compare=False)
    source_chapter: str = ""


@dataclass(frozen=True)
class Question:
    """A discussion question; `answer` is teacher material (dropped from student editions)."""

    text: str
    answer: str = ""
    source: str = ""  # the passage that answers it: teacher material too
    line: int = field(default=0, compare=False)
    source_chapter: str = ""
    # a student edition keeps only the answer's length: the handout rules room enough for it
    # in every edition (the teacher's writes the answer there), so their pages break alike
    answer_length: int = 0


@dataclass(frozen=True)
class Chapter:
    """One Markdown file: its front matter, and its parsed (not yet rendered) Markdown.

    Tokens are kept rather than HTML so that each target (print, EPUB) renders footnotes and
    links its own way from a single parse.
    """

    number: int
    slug: str
    title: str
    source: str
    summary: str = ""
    key_points: tuple[KeyPoint, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    key_terms: tuple[KeyTerm, ...] = ()
    questions: tuple[Question, ...] = ()
    teacher_notes: str = ""
    # a student edition's chapter keeps only its notes' length: the handout rules as much
    # space for notes in every edition, so that every edition breaks its pages alike
    teacher_notes_length: int = 0
    body_line: int = 1
    tokens: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    env: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    warnings: tuple[Diagnostic, ...] = ()  # what loading it found (unused front matter keys)
    language: str = ""  # its own `language:`, when it differs from the book's

    def lang(self, book_language: str) -> str:
        """The chapter's language tag: its own, else the book's."""
        return self.language or book_language

    def dir(self, book_language: str) -> str:
        """`rtl` or `ltr`, from the chapter's language."""
        from build_report.project.languages import direction

        return direction(self.lang(book_language))

    @property
    def anchor(self) -> str:
        """The id of the chapter's section: unique in the single print document."""
        return f"ch-{self.slug}"


@dataclass(frozen=True)
class Book:
    config: Config
    chapters: tuple[Chapter, ...]
    created: datetime.datetime
    edition: Edition = DEFAULT_EDITIONS["student"]
    allow_network: bool = False  # --allow-network: whether remote images are loaded
    # A selection's whole book (--chapters): figures, tables and notes keep the numbers they
    # have in the book, and a reference to a chapter left out still reads "Figure 1".
    whole: tuple[Chapter, ...] = field(default=(), compare=False, repr=False)
    # --since REV: the passages changed since that revision (project/changes.py)
    changes: tuple[Any, ...] = ()
    since: str = ""

    @property
    def all_chapters(self) -> tuple[Chapter, ...]:
        return self.whole or self.chapters

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def words(self):
        """The words build-report prints, in the book's language (project/languages.py)."""
        return self.config.words

    @property
    def language(self) -> str:
        return self.config.report.language

    @property
    def dir(self) -> str:
        """The book's direction, `rtl` or `ltr`: it sets the page layout's too."""
        from build_report.project.languages import direction

        return direction(self.language)

    @property
    def summary_chapters(self) -> list[Chapter]:
        """The chapters the summary page lists (those with a summary or key points), or none
        when the summary is switched off or no chapter has one."""
        if not self.config.build.summary:
            return []
        return [ch for ch in self.chapters if ch.summary or ch.key_points]

    @property
    def cite_as(self) -> str:
        """How to cite the book: `cite_as` as configured, else made from its keys only
        ("Marco. Title: Subtitle. Briefing. Organisation, 2026.")."""
        report = self.config.report
        if report.cite_as:
            return report.cite_as
        title = report.title + (f": {report.subtitle}" if report.subtitle else "")
        year = report.date or str(self.created.year)
        published = ", ".join(p for p in (report.organisation, year) if p)
        parts = [report.author, title, report.label, published]
        return " ".join(p.rstrip(".") + "." for p in parts if p)

    @property
    def date_label(self) -> str:
        """What the cover prints: the configured date as written, else the build date in the
        language's long format ("November 26, 2026"; "26 novembre 2026")."""
        return self.config.report.date or self.words.date(self.created.date())
