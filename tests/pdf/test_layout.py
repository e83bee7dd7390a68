"""Layout rules on a generated long book: running heads, headings never stranded, footnotes."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from tests.conftest import new_project, normalize

WORDS = tuple(
    [
        "analysts",
        "weigh",
        "the",
        "evidence",
        "carefully",
        "before",
        "they",
        "write",
        "a",
        "briefing",
        "for",
        "every",
        "class",
        "teacher",
        "reads",
        "twice",
        "while",
        "students",
        "compare",
        "sources",
        "about",
        "treaties",
        "summits",
        "sanctions",
        "alliances",
        "elections",
        "leaders",
        "policy",
        "security",
        "history",
        "context",
        "press",
        "conference",
        "allies",
        "pressure",
        "diplomacy",
        "cooperation",
        "friction",
        "strategy",
        "interests",
        "debate",
        "careful",
        "notes",
    ]
)


endings: dict[int, str] = {}  # footnote number -> the words just before its call


def paragraph(seed: int, length: int) -> str:
    """Deterministic filler whose every dozen words are unique enough to locate on a page."""
    import random

    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(length)).capitalize() + "."


@pytest.fixture(scope="module")
def long_book(tmp_path_factory) -> PdfReader:
    book = new_project(tmp_path_factory.mktemp("long") / "book")
    root = book.root
    sections = []
    endings.clear()
    for n in range(1, 25):
        sections.append(f"## Section {n} heading\n")
        for k in range(1 + n % 3):
            note = f"[^n{n}x{k}]" if k == 0 and n % 4 == 0 else ""
            text = paragraph(n * 7 + k, 40 + (n * 13 + k * 29) % 90)
            if note:
                endings[n] = normalize(" ".join(text.split()[-8:]))
            sections.append(text + note + "\n")
            if note:
                sections.append(f"[^n{n}x{k}]: Footnote number {n} explains a detail.\n")
    book.write("chapters/01-long.md", "---\ntitle: The Long Chapter\n---\n\n" + "\n".join(sections))
    book.write("chapters/02-short.md", "---\ntitle: Short Chapter\n---\n\nShort text.\n")
    result = book.build("pdf", "-o", root / "long.pdf")
    assert result.exit_code == 0, result.output
    return PdfReader(root / "long.pdf")


def furniture_free_lines(text: str) -> list[str]:
    return [
        line
        for line in text.splitlines()
        if line.strip()
        and not line.startswith("Fixture Book")
        and not re.match(r"page \d+ of \d+$", line)
    ]


def test_continuation_pages_carry_the_chapter_title(long_book: PdfReader) -> None:
    starts = [
        long_book.get_destination_page_number(item)
        for item in long_book.outline
        if not isinstance(item, list)
    ]
    assert starts[1] - starts[0] >= 3, "the long chapter should span several pages"
    for index in range(starts[0] + 1, starts[1]):
        heads = [
            line
            for line in long_book.pages[index].extract_text().splitlines()
            if line.startswith("Fixture Book")
        ]
        assert heads and heads[0].endswith("The Long Chapter"), index
    last = long_book.pages[starts[1]].extract_text()
    assert any(
        line.endswith("Short Chapter")
        for line in last.splitlines()
        if line.startswith("Fixture Book")
    )


def test_no_heading_alone_at_the_bottom_of_a_page(long_book: PdfReader) -> None:
    for index, page in enumerate(long_book.pages[2:], start=2):
        lines = [
            line
            for line in furniture_free_lines(page.extract_text())
            if not line.startswith(("Footnote number", "1. ", "2. "))
            and not re.match(r"\d+\. Footnote", line)
        ]
        assert lines, index
        assert not re.fullmatch(r"Section \d+ heading", lines[-1].strip()), (index, lines[-3:])


def test_subsections_nest_under_their_chapter_in_the_outline(long_book: PdfReader) -> None:
    outline = long_book.outline
    assert [item.title for item in outline if not isinstance(item, list)] == [
        "The Long Chapter",
        "Short Chapter",
    ]
    children = outline[1]
    assert isinstance(children, list) and children[0].title == "Section 1 heading"


def test_footnotes_sit_at_the_foot_of_their_page(long_book: PdfReader) -> None:
    pages = [page.extract_text() for page in long_book.pages]
    flat = [normalize(text) for text in pages]
    assert len(endings) == 6
    same_page = 0
    for n, ending in endings.items():
        call_pages = [i for i, text in enumerate(flat) if ending in text]
        note_pages = [i for i, text in enumerate(pages) if f"Footnote number {n} " in text]
        # GCPM lets a note move to a later page, never an earlier one. WeasyPrint moves a note
        # to the next page when that lets one more line of a later paragraph fit.
        assert len(call_pages) == 1 and len(note_pages) == 1, (n, call_pages, note_pages)
        assert note_pages[0] - call_pages[0] in (0, 1), (n, call_pages, note_pages)
        same_page += note_pages == call_pages
        # At the foot: after the note, only other notes (or their wrapped lines) follow.
        lines = furniture_free_lines(pages[note_pages[0]])
        at = next(i for i, line in enumerate(lines) if f"Footnote number {n} " in line)
        assert all("Footnote number" in line or len(line) < 40 for line in lines[at:])
    assert same_page >= 3
