"""The default briefing is the source article, word for word, plus clearly editorial aids."""

from __future__ import annotations

import re

from build_report.project.chapters import load_book
from build_report.project.config import load_config

from tests.conftest import REPO, SEED

HEADINGS = [
    "The Genesis of a Noteworthy Dynamic",
    "Key Interactions and Encounters",
    "Impacts on International Relations",
    "Potential Future Trajectory",
    "Conclusion",
]


def source_sections() -> list[tuple[str, list[str]]]:
    blocks = [b.strip() for b in SEED.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    assert blocks[0] == "Trump & Putin: The Complex Relationship Examined"
    assert blocks[1].startswith("by Marco")
    sections: list[tuple[str, list[str]]] = [("Introduction", [])]
    for block in blocks[2:]:
        if block in HEADINGS:
            sections.append((block, []))
        else:
            sections[-1][1].append(block)
    return sections


def chapter_bodies() -> list[tuple[str, list[str]]]:
    out = []
    for path in sorted((REPO / "chapters").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        front, body = text.split("\n---\n", 1)
        title = re.search(r"^title: (.+)$", front, re.MULTILINE).group(1)
        out.append((title, [p.strip() for p in body.split("\n\n") if p.strip()]))
    return out


def test_one_chapter_per_section_word_for_word() -> None:
    assert chapter_bodies() == source_sections()


def test_config_names_title_and_author() -> None:
    report = load_config(REPO).report
    assert report.title == "Trump & Putin: The Complex Relationship Examined"
    assert report.author == "Marco"


def test_no_web_debris() -> None:
    for path in (REPO / "chapters").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "49 views" not in text and not re.search(r"\d+\s+views", text)
        assert "by Marco" not in text


def test_timeline_uses_only_dates_the_text_names() -> None:
    book = load_book(load_config(REPO))
    source = SEED.read_text(encoding="utf-8")
    entries = [entry for ch in book.chapters for entry in ch.timeline]
    assert [e.date for e in entries] == ["2014", "2016", "July 2017", "July 2018", "2019"]
    for entry in entries:
        assert entry.date in source
    years = {y for ch in book.chapters for p in ch.key_points for y in re.findall(r"\d{4}", p)}
    assert years <= set(re.findall(r"\d{4}", source))


def test_learning_aids_are_marked_editorial(default_pdf) -> None:
    from pypdf import PdfReader

    reader = PdfReader(default_pdf)
    for page in reader.pages[2:]:
        text = page.extract_text()
        if "KEY POINTS" in text.upper():
            assert "EDITORIAL" in text.upper()
    assert "learning aids added by the editors" in reader.pages[1].extract_text().replace("\n", " ")
