"""Real documents as they come: footnotes that reflow and keep their paragraphs, empty headings
that leave the contents alone, malformed raw HTML read as a browser reads it, and a crash of the
layout engine reported as one line naming the stylesheet."""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from lxml import etree
from pypdf import PdfReader

from tests.conftest import Project, assert_clean_error, new_project, run

XHTML = "{http://www.w3.org/1999/xhtml}"


def _page_lines(pdf: Path) -> list[list[str]]:
    with pdfplumber.open(pdf) as doc:
        return [(page.extract_text() or "").splitlines() for page in doc.pages]


# ---------- Footnotes ----------

NOTES = """\
---
title: Notes
---

A call here.[^long] And a second call.[^two] And a third.[^code]

The body goes on after the notes.

[^long]: This note is written over three source lines,
    and the second line should flow on with the first,
    and the third one too, when the note has room.

[^two]: First paragraph of the second note.

    Second paragraph of the second note.

[^code]: A note with code:

        keep   these   spaces
        and this line

    And a closing paragraph.
"""


@pytest.fixture
def notes_pdf(tmp_path: Path) -> Path:
    book = new_project(tmp_path / "book")
    book.write("chapters/01-notes.md", NOTES)
    out = tmp_path / "notes.pdf"
    result = book.build("pdf", "-o", out)
    assert result.exit_code == 0, result.output
    return out


def test_a_note_reflows_instead_of_keeping_the_source_lines(notes_pdf: Path) -> None:
    lines = _page_lines(notes_pdf)[-1]
    first = next(line for line in lines if "This note is written" in line)
    # The source broke after "lines," and "first,": the PDF line runs on past both.
    assert "source lines, and the second line" in first, lines
    assert "the first, and the third" in " ".join(lines), lines


def test_a_note_keeps_its_paragraphs_and_its_code(notes_pdf: Path) -> None:
    lines = _page_lines(notes_pdf)[-1]
    first = next(i for i, line in enumerate(lines) if "First paragraph of the second" in line)
    assert lines[first + 1].startswith("Second paragraph of the second note."), lines
    assert "Second paragraph" not in lines[first]
    code = next(i for i, line in enumerate(lines) if "keep" in line)
    assert lines[code] == "keep these spaces" or "keep   these" in lines[code], lines
    assert lines[code + 1].strip() == "and this line", lines
    assert lines[code + 2].startswith("And a closing paragraph."), lines
    # Nothing of a note leaks into the body, where an HTML parser used to put its blocks.
    body = lines[: lines.index(next(x for x in lines if x.startswith("1.")))]
    assert not any("paragraph of the second" in x or "keep" in x for x in body), body
    assert any("The body goes on after the notes." in x for x in body), body


def test_code_in_a_note_keeps_its_spaces(notes_pdf: Path) -> None:
    with pdfplumber.open(notes_pdf) as doc:
        words = doc.pages[-1].extract_words()
    keep, these = (next(w for w in words if w["text"] == t) for t in ("keep", "these"))
    # three spaces of a monospace font between the words, not one
    width = (keep["x1"] - keep["x0"]) / 4
    assert these["x0"] - keep["x1"] > 2.5 * width, (keep, these)


THESIS_WORDS = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
]


def _thesis(seed: int = 3, count: int = 40) -> str:
    """Paragraphs of random length, each calling a note of random length, as in a thesis."""
    rng = random.Random(seed)

    def words(n: int) -> str:
        return " ".join(rng.choice(THESIS_WORDS) for _ in range(n))

    body, notes = ["---\ntitle: Thesis\n---\n"], []
    for i in range(1, count + 1):
        body.append(f"{words(rng.randint(20, 60))} call{i}x[^{i}] {words(rng.randint(10, 80))}\n")
        notes.append(f"[^{i}]: note{i}x {words(rng.randint(10, 120))}\n")
    return "\n".join(body + notes)


@pytest.mark.slow
def test_notes_land_on_the_page_of_their_call(tmp_path: Path) -> None:
    """Without `footnote-policy: line`, six of these forty notes went to the page after
    their call while their line stayed behind. (WeasyPrint still moves a note on when that
    spares a paragraph an orphan line: with American hyphenation, the default since the
    languages work, this text shows two such notes in forty, British patterns none.)"""
    book = new_project(tmp_path / "book")
    book.write("chapters/01-thesis.md", _thesis())
    out = tmp_path / "thesis.pdf"
    result = book.build("pdf", "-o", out)
    assert result.exit_code == 0, result.output
    pages = ["\n".join(lines) for lines in _page_lines(out)]
    moved = []
    for i in range(1, 41):
        call = next(n for n, text in enumerate(pages) if f"call{i}x" in text)
        if f"note{i}x" not in pages[call]:
            moved.append(i)
    assert len(moved) <= 2, f"notes {moved} are not on the pages of their calls"


# ---------- Empty headings ----------

EMPTY_HEADINGS = """\
---
title: Heads
---

Intro.

##

Text under an empty heading.

## <a id="anchor-only"></a>

More, and a [link to the anchor](#anchor-only).

## Real one

End.
"""


@pytest.fixture
def empty_headings(project: Project) -> Project:
    project.write("chapters/01-first.md", EMPTY_HEADINGS)
    return project


def test_check_warns_about_empty_headings(empty_headings: Project) -> None:
    from build_report.commands.check import run_check

    found = [d for d in run_check(empty_headings.root) if d.kind == "empty heading"]
    assert [(d.path, d.line, d.level) for d in found] == [
        ("chapters/01-first.md", 7, "warning"),
        ("chapters/01-first.md", 11, "warning"),
    ]
    result = run("-v", "check", "-C", empty_headings.root)
    assert result.exit_code == 0, result.output
    assert "chapters/01-first.md:7: warning: empty heading" in result.output
    assert "chapters/01-first.md:11: warning: empty heading" in result.output


def test_empty_headings_get_no_bookmark(empty_headings: Project, tmp_path: Path) -> None:
    out = tmp_path / "heads.pdf"
    result = empty_headings.build("pdf", "-o", out)
    assert result.exit_code == 0, result.output

    def titles(outline) -> list[str]:
        found = []
        for item in outline:
            found += titles(item) if isinstance(item, list) else [item.title]
        return found

    shown = titles(PdfReader(out).outline)
    assert "Real one" in shown and all(t.strip() for t in shown), shown


@pytest.mark.slow
def test_empty_headings_keep_the_epub_valid(empty_headings: Project) -> None:
    result = empty_headings.build("epub", "--check")
    assert result.exit_code == 0, result.output
    epub = next((empty_headings.root / "build").glob("*.epub"))
    with zipfile.ZipFile(epub) as archive:
        name = next(n for n in archive.namelist() if n.endswith("nav.xhtml"))
        nav = etree.fromstring(archive.read(name))
    links = nav.findall(f".//{XHTML}nav[@id='toc']//{XHTML}a")
    assert [a.xpath("string()").strip() for a in links] == ["Heads", "Real one", "Second Chapter"]


# ---------- Malformed raw HTML ----------

MALFORMED = """\
---
title: Raw
---

Before the HTML.

<div id="foo"
*hi*

After the unfinished tag.

<span class="x">an unclosed span

The last paragraph.

<div id="bar"
*at the end*
"""


def test_malformed_html_builds_as_a_browser_reads_it(project: Project, tmp_path: Path) -> None:
    project.write("chapters/01-first.md", MALFORMED)
    out = tmp_path / "raw.pdf"
    result = project.build("pdf", "-o", out)
    assert result.exit_code == 0, result.output
    text = " ".join(line for page in _page_lines(out) for line in page)
    for expected in ("Before the HTML.", "After the unfinished tag.", "an unclosed span"):
        assert expected in text, text
    assert "The last paragraph." in text
    assert "*hi*" not in text  # an attribute name, as in a browser


def test_malformed_html_at_the_end_of_a_chapter_is_not_too_deep() -> None:
    from build_report.markup.sanitize import balance

    kept = balance('<p>Start</p>\n<div id="foo"\n*hi*\n')  # CommonMark's example, then EOF
    assert "Start" in kept


@pytest.mark.parametrize("depth", [150, 300, 5000])
def test_real_depth_past_the_limit_is_still_an_error(depth: int) -> None:
    from build_report.markup.sanitize import MAX_DEPTH, balance

    assert "ok" in balance("<div>" * MAX_DEPTH + "ok" + "</div>" * MAX_DEPTH)
    with pytest.raises(ValueError, match="nested more than"):
        balance("<div>" * depth + "deep" + "</div>" * depth)


# ---------- The engine's own crashes ----------


def test_an_engine_crash_is_one_line_naming_the_stylesheet(project: Project) -> None:
    css = project.root / "styles" / "print.css"
    css.write_text(css.read_text() + "\np { font-size: 1e9px }\n")
    line = len(css.read_text().splitlines())
    result = project.build("pdf", "--no-cache")
    message = assert_clean_error(result, names=f"styles/print.css:{line}")
    assert "ZeroDivisionError" in message and "font-size: 1e9px" in message
    assert "internal error" not in result.output


@pytest.mark.slow
def test_an_engine_crash_under_jobs_is_the_same_line(tmp_path: Path) -> None:
    book = new_project(tmp_path / "book")
    text = " ".join(THESIS_WORDS * 500)  # two long chapters: two parts, two processes
    book.write("chapters/01-one.md", f"# One\n\n{text}\n")
    book.write("chapters/02-two.md", f"# Two\n\n{text}\n\n## Boom\n\nAfter.\n")
    css = book.root / "styles" / "print.css"
    css.write_text(css.read_text() + "\n.chapter-body h2 { font-size: 1e9px }\n")
    result = run("-v", "pdf", "-C", book.root, "--no-cache", "--jobs", "2")
    assert re.search(r"in 2 processes", result.output), result.output
    message = assert_clean_error(result, names="styles/print.css:")
    assert "the layout engine failed (ZeroDivisionError)" in message
