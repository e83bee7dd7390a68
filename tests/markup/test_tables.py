"""Tables never run past the page edge: a wide table is set smaller, then turned onto a
landscape page, then broken inside its words; each with a warning at its line. Long tables
repeat their header on every page, and HTML and EPUB wrap every table in a scrolling box."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from build_report.markup.parser import parser
from build_report.markup.tables import STEPS, TABLE_SIZE, Fitter, with_fits
from lxml import etree

from tests.conftest import REPO, Project, corpus_folder, new_project
from tests.pdf_checks import pages_with_ink_in_the_side_margins

MM = 72 / 25.4
MARGIN = 22 * MM  # print.css: @page margins, left and right
XHTML = "{http://www.w3.org/1999/xhtml}"
CORPUS = corpus_folder()


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# Six columns of long words, code among them: too wide at 9 pt, fits smaller.
SIX = table(
    ["Sixa", "Sixb", "Sixc", "Sixd", "Sixe", "Sixf"],
    [
        [
            "Internationalisation",
            "`configuration_value`",
            "Characteristic",
            "Sixword",
            "Counterrevolution",
            "Disproportion",
        ]
    ]
    * 3,
)
# Twelve columns: too wide for a portrait page even at the floor, fits on a landscape one.
TWELVE = table(
    [f"Twelve{c}" for c in "abcdefghijkl"],
    [[f"Wordlong{i}" for i in range(12)], ["`code_name`"] * 12],
)
# Sixteen columns of very long words: too wide even on a landscape page at the floor.
SIXTEEN = table(
    [f"H{i}" for i in range(16)],
    [[f"Supercalifragilistic{i}" for i in range(16)]],
)
LONG_TEXT = "a description long enough to wrap over several lines of its narrow column " * 2
# 300 rows: some rows three or four lines high, so a page break could fall inside one.
LONG = table(
    ["Identifier", "Name", "Description", "Closing"],
    [
        [f"rowA{n:03}", f"name {n}", LONG_TEXT if n % 7 == 0 else "short", f"endZ{n:03}"]
        for n in range(1, 301)
    ],
)
CHAPTER = f"""\
---
title: Tables
---

A normal table:

{table(["Small", "Table"], [["fits", "as it is"]])}
## Six columns

{SIX}
## Twelve columns

{TWELVE}
## Sixteen columns

{SIXTEEN}
## A long table

{LONG}"""


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the chapter file where `needle` first stands."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Project:
    book = new_project(tmp_path_factory.mktemp("tables") / "book")
    book.write("chapters/01-tables.md", CHAPTER)
    return book


@pytest.fixture(scope="module")
def built(book: Project) -> tuple[Path, str]:
    out = book.root / "tables.pdf"
    result = book.build("pdf", "-o", out)
    assert result.exit_code == 0, result.output
    return out, result.output


# ---------- the measure (fast) ----------


def fit_of(markdown: str, paper: str = "a4"):
    tokens = parser().parse(markdown)
    return Fitter(REPO, paper).fit(tokens, 0)


def test_each_table_takes_the_first_step_that_fits() -> None:
    assert fit_of(table(["a", "b"], [["x", "y"]])).classes == "table-wrap"
    six = fit_of(SIX)
    assert STEPS[-1][0] <= six.size < TABLE_SIZE and not six.landscape
    twelve = fit_of(TWELVE)
    assert twelve.landscape and not twelve.broken
    sixteen = fit_of(SIXTEEN)
    assert sixteen.landscape and sixteen.broken and sixteen.size == STEPS[-1][0]
    assert "table-wide" in twelve.classes and "table-break" in sixteen.classes


def test_code_is_measured_in_the_code_font() -> None:
    """The same letters are wider in JetBrains Mono (0.6 em) than in Inter."""
    plain = Fitter(REPO, "a4").columns(parser().parse(table(["h"], [["abcdefghij"]])), 0)
    code = Fitter(REPO, "a4").columns(parser().parse(table(["h"], [["`abcdefghij`"]])), 0)
    assert code[0] > plain[0]
    assert code[0] == pytest.approx(10 * 0.6 * 0.86, rel=0.02)


def test_the_room_follows_the_paper() -> None:
    """Letter is wider than A4 (216 mm against 210) and shorter (279 mm against 297)."""
    a4, letter = Fitter(REPO, "a4"), Fitter(REPO, "letter")
    assert letter.portrait > a4.portrait
    assert letter.landscape < a4.landscape
    assert a4.portrait == pytest.approx((210 - 44) * MM, rel=0.05)


def test_fitting_copies_the_tokens_it_changes() -> None:
    """Tokens are shared between outputs: fitting one must not change another's."""
    tokens = parser().parse(f"## Title\n\n{TWELVE}")
    fitted = with_fits(tokens, Fitter(REPO, "a4"))
    assert all("fit" not in t.meta for t in tokens)
    assert all(t.attrGet("class") is None for t in tokens if t.type == "heading_open")
    opened = next(t for t in fitted if t.type == "table_open")
    assert opened.meta["fit"].landscape
    heading = next(t for t in fitted if t.type == "heading_open")
    assert heading.attrGet("class") == "table-wide-title"


# ---------- print ----------


@pytest.mark.slow
def test_no_character_lies_beyond_the_text_block(built) -> None:
    out, _ = built
    with pdfplumber.open(out) as pdf:
        for number, page in enumerate(pdf.pages[2:], start=3):  # after cover and contents
            for char in page.chars:
                assert char["x0"] >= MARGIN - 1, (number, char["text"], char["x0"])
                assert char["x1"] <= page.width - MARGIN + 1, (number, char["text"], char["x1"])


@pytest.mark.slow
def test_wide_tables_turn_and_take_their_heading(built) -> None:
    out, _ = built
    with pdfplumber.open(out) as pdf:
        texts = [(page, page.extract_text() or "") for page in pdf.pages]
        for marker in ("Twelvea", "H15"):
            page, text = next((p, t) for p, t in texts if marker in t)
            assert page.width > page.height, f"the page of {marker} is not landscape"
            assert "columns" in text  # its heading came with it
            assert "Tables" in text  # the running head is there
            assert re.search(r"page \d+ of \d+", text)
        for page, text in texts:
            if "Sixa" in text or "Identifier" in text or "normal table" in text:
                assert page.width < page.height


@pytest.mark.slow
def test_the_header_row_repeats_and_rows_stay_whole(built) -> None:
    out, _ = built
    with pdfplumber.open(out) as pdf:
        pages = [
            (page, page.extract_words())
            for page in pdf.pages
            if any(w["text"].startswith("rowA") for w in page.extract_words())
        ]
        assert len(pages) >= 4, "300 rows take several pages"
        seen = set()
        for page, words in pages:
            header = [w for w in words if w["text"] == "Identifier"]
            rows = [w for w in words if w["text"].startswith("rowA")]
            assert header, f"no header row on page {page.page_number}"
            assert header[0]["top"] < min(w["top"] for w in rows)
            ends = {w["text"][4:] for w in words if w["text"].startswith("endZ")}
            starts = {w["text"][4:] for w in rows}
            assert starts == ends, f"a row split on page {page.page_number}"
            seen |= starts
    assert len(seen) == 300


@pytest.mark.slow
def test_a_warning_names_each_table_shrunk_or_turned(book: Project, built) -> None:
    _, output = built
    path = "chapters/01-tables.md"
    six, twelve, sixteen = (line_of(CHAPTER, f"| {h}") for h in ("Sixa", "Twelvea", "H0"))
    assert re.search(rf"{path}:{six}: warning: table of 6 columns .* printed at \d", output)
    assert f"{path}:{twelve}: warning: table of 12 columns" in output
    assert "landscape page at" in output
    assert f"{path}:{sixteen}: warning: table of 16 columns" in output
    assert "broken" in output
    assert f"{path}:{line_of(CHAPTER, '| Small')}:" not in output
    assert f"{path}:{line_of(CHAPTER, '| Identifier')}:" not in output
    checked = book.build("check").output
    for line in (six, twelve, sixteen):
        assert f"{path}:{line}: warning: table of" in checked, checked


@pytest.mark.slow
def test_letter_paper_turns_to_letter_landscape(tmp_path: Path) -> None:
    book = new_project(tmp_path / "letter")
    book.write("report.toml", '[report]\ntitle = "T"\nauthor = "A"\n[build]\npaper = "letter"\n')
    book.write("chapters/01-wide.md", f"# Wide\n\n{TWELVE}")
    out = tmp_path / "letter.pdf"
    result = book.build("pdf", "-o", out)
    assert result.exit_code == 0, result.output
    with pdfplumber.open(out) as pdf:
        page = next(p for p in pdf.pages if "Twelvea" in (p.extract_text() or ""))
        assert (round(page.width), round(page.height)) == (792, 612)


# ---------- HTML and EPUB ----------


def wrappers(document: etree._Element) -> list[etree._Element]:
    tables = document.findall(f".//{XHTML}table")
    assert tables
    for found in tables:
        parent = found.getparent()
        assert parent.tag == f"{XHTML}div" and "table-wrap" in parent.get("class", "").split()
    return tables


@pytest.mark.slow
def test_html_wraps_every_table_in_a_scrolling_box(book: Project) -> None:
    result = book.build("html")
    assert result.exit_code == 0, result.output
    documents = [
        p for p in (book.root / "build").rglob("*.xhtml") if "<table" in p.read_text("utf-8")
    ]
    assert documents
    tables = [t for p in documents for t in wrappers(etree.parse(str(p)).getroot())]
    assert len(tables) == 5
    css = next((book.root / "build").rglob("screen.css")).read_text("utf-8")
    assert re.search(r"\.table-wrap\s*\{[^}]*overflow-x:\s*auto", css)


@pytest.mark.slow
def test_epub_tables_pass_epubcheck(book: Project) -> None:
    result = book.build("epub", "--check")
    assert result.exit_code == 0, result.output
    assert "EPUBCheck: no errors or warnings" in result.output
    epub = next((book.root / "build").glob("*.epub"))
    with zipfile.ZipFile(epub) as archive:
        names = [n for n in archive.namelist() if n.endswith(".xhtml")]
        found = [
            t
            for n in names
            if b"<table" in archive.read(n)
            for t in wrappers(etree.fromstring(archive.read(n)))
        ]
    assert len(found) == 5


# ---------- a real document ----------


@pytest.mark.slow
@pytest.mark.skipif(not (CORPUS / "emoji-tables").is_dir(), reason=f"no corpus at {CORPUS}")
def test_the_emoji_cheat_sheet_stays_on_the_paper(tmp_path: Path) -> None:
    """1,100 rows in six columns of long shortcodes: before, whole columns ran off the page."""
    root = tmp_path / "emoji"
    made = subprocess.run(
        [sys.executable, str(CORPUS / "make_project.py"), str(CORPUS / "emoji-tables"), root],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    out = tmp_path / "emoji.pdf"
    result = Project(root).build("pdf", "-o", out)
    assert result.exit_code == 0, result.output
    assert pages_with_ink_in_the_side_margins(out, strip_mm=15) == []
    assert "tables set smaller to fit" in result.output or "printed at" in result.output
