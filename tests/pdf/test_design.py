"""The design on the page (issue 16): the measure of each theme, pull quotes in the side
column, the timeline drawn, and no heading, box or hyphen left at the foot of a page.

Each test builds the default briefing (the project's own chapters) in a theme and on a paper,
and reads the PDF back with pdfplumber."""

from __future__ import annotations

import re
import shutil
import statistics
from pathlib import Path

import pdfplumber
import pytest

from tests.conftest import REPO, assert_clean_error, run

THEMES = ("briefing", "report", "book")
# The hyphens the engine adds to break a word (an author's own "-", as in "Minus: -" or
# "U.S.-Russia", is text, not a break the engine chose).
HYPHENS = ("\u2010", "\u00ad")


def briefing_copy(root: Path, theme: str, paper: str = "a4") -> Path:
    """The default briefing, copied, in `theme` on `paper`."""
    root.mkdir(parents=True)
    shutil.copytree(REPO / "chapters", root / "chapters")
    shutil.copytree(REPO / "styles", root / "styles")
    toml = (REPO / "report.toml").read_text(encoding="utf-8")
    toml = re.sub(r"(?m)^theme = .*$", f'theme = "{theme}"', toml)
    toml = re.sub(r"(?m)^paper = .*$", f'paper = "{paper}"', toml)
    (root / "report.toml").write_text(toml, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(theme, paper) -> the PDF, built once for the module."""
    made: dict[tuple[str, str], Path] = {}

    def build(theme: str, paper: str = "a4") -> Path:
        if (theme, paper) not in made:
            root = briefing_copy(tmp_path_factory.mktemp(f"{theme}-{paper}") / "b", theme, paper)
            out = root / "out.pdf"
            result = run("pdf", "-C", root, "-o", out)
            assert result.exit_code == 0, result.output
            made[theme, paper] = out
        return made[theme, paper]

    return build


def body_lines(page) -> list[list[dict]]:
    """The page's lines of body text (Charis at the body size), as lists of characters."""
    chars = [
        c
        for c in page.chars
        if "Charis" in c["fontname"] and 9.8 <= c["size"] <= 11.8 and c["text"].strip()
    ]
    lines: dict[int, list[dict]] = {}
    for char in chars:
        lines.setdefault(round(char["top"]), []).append(char)
    return [sorted(line, key=lambda c: c["x0"]) for _, line in sorted(lines.items())]


def line_text(line: list[dict]) -> str:
    """Characters with a space wherever the gap between two is wider than a hair."""
    text = line[0]["text"]
    for before, char in zip(line, line[1:], strict=False):
        text += (" " if char["x0"] - before["x1"] > before["size"] * 0.12 else "") + char["text"]
    return text


def full_lines(pdf: Path) -> list[str]:
    """The body's full-width lines (not a paragraph's last): what the measure is."""
    found = []
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages[3:]:
            lines = body_lines(page)
            widths = [line[-1]["x1"] - line[0]["x0"] for line in lines]
            if not widths:
                continue
            widest = max(widths)
            pairs = zip(lines, widths, strict=True)
            found += [line_text(ln) for ln, w in pairs if w > 0.97 * widest]
    return found


@pytest.mark.parametrize("theme", THEMES)
def test_every_theme_sets_a_measure_of_60_to_75_characters(built, theme):
    lines = full_lines(built(theme))
    assert len(lines) > 50
    measure = statistics.median(len(line) for line in lines)
    assert 60 <= measure <= 75, (theme, measure, lines[:3])


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_summary_is_one_page(built, paper):
    """Cover, contents, summary: the first chapter opens page 4 on either paper (on Letter the
    summary ran over to a fourth page holding two of its six entries)."""
    from pypdf import PdfReader

    reader = PdfReader(built("briefing", paper))
    pages = {item.title: reader.get_destination_page_number(item) for item in reader.outline}
    assert pages["Introduction"] == 3, pages


def test_the_measure_holds_on_letter_paper(built):
    measure = statistics.median(len(line) for line in full_lines(built("briefing", "letter")))
    assert 60 <= measure <= 75, measure


def test_themes_differ_where_they_say_they_do(built):
    """The book sets its headings in the serif and indents paragraphs; the briefing sets them
    in the sans; the report's cover is white where the briefing's is navy."""

    def title_font(pdf: Path) -> str:
        with pdfplumber.open(pdf) as doc:
            page = next(p for p in doc.pages if "CHAPTER 1" in (p.extract_text() or ""))
            big = [c for c in page.chars if c["size"] > 16]
            return big[0]["fontname"]

    assert "Inter" in title_font(built("briefing"))
    assert "Charis" in title_font(built("book"))

    def cover_is_navy(pdf: Path) -> bool:
        """Navy (#1f3350) under the middle of the cover, where the title stands."""
        with pdfplumber.open(pdf) as doc:
            page = doc.pages[0]
            pixel = (
                page.to_image(resolution=10)
                .original.convert("RGB")
                .getpixel((int(page.width * 10 / 72 / 2), int(page.height * 10 / 72 / 2)))
            )
            return pixel[2] > pixel[0] + 30 and sum(pixel) < 300

    assert cover_is_navy(built("briefing"))
    assert not cover_is_navy(built("report"))
    assert not cover_is_navy(built("book"))


def test_pull_quotes_stand_in_the_side_column(built):
    pdf = built("briefing")
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            words = page.extract_words(extra_attrs=["fontname", "size"])
            quote = [w for w in words if "Inter" in w["fontname"] and w["text"] == "strain"]
            if quote:
                body = [w for w in words if "Charis" in w["fontname"] and w["size"] > 9.8]
                column_end = max(w["x1"] for w in body)
                assert quote[0]["x0"] > column_end, "the pull quote is beside the text"
                break
        else:
            pytest.fail("the pull quote of chapter 4 is not in the PDF")


def test_the_timeline_is_drawn(built):
    """A rule down the events and a dot at each (curves in the PDF), not a list of dates."""
    with pdfplumber.open(built("briefing")) as doc:
        page = next(p for p in doc.pages if "CHAPTER 1" in (p.extract_text() or ""))
        shapes = page.rects + page.curves
        dots = [c for c in shapes if abs(c["width"] - c["height"]) < 0.5 and 3 < c["width"] < 8]
        assert len(dots) >= 5  # the five events of chapter 1


def test_pull_quote_markup(project):
    """An <aside>, hidden from screen readers when it repeats the text (they would hear it
    twice), readable when its words are nowhere else."""
    project.write(
        "chapters/01-first.md",
        "---\ntitle: First\n---\n\nThe strain on the alliance grew.\n\n"
        "::: pullquote\n“The strain on the alliance grew.”\n:::\n\n"
        "::: {.pullquote}\nWords said only here.\n:::\n",
    )
    result = project.build("html")
    assert result.exit_code == 0, result.output
    from lxml import etree

    page = next((project.root / "build" / "html").glob("first*.xhtml"))
    tree = etree.parse(str(page))
    asides = tree.findall(".//{http://www.w3.org/1999/xhtml}aside[@class='pullquote']")
    assert [a.get("aria-hidden") for a in asides] == ["true", None]


def test_stranded_nothing_at_the_foot_of_a_page(built):
    """No page ends with a heading, a box's label or a box without the text that follows:
    the last line of every page is body text (or the end of the book)."""
    for theme in THEMES:
        with pdfplumber.open(built(theme)) as doc:
            for number, page in enumerate(doc.pages[3:-1], start=4):
                words = page.extract_words(extra_attrs=["fontname", "size"])
                words = [w for w in words if w["bottom"] < page.height - 55]  # not the footer
                body = [w for w in words if "Charis" in w["fontname"] and w["size"] > 9.8]
                if body:  # not the side column's notes (they may reach lower than the text)
                    column_end = max(w["x1"] for w in body)
                    words = [w for w in words if w["x0"] < column_end]
                last = max(words, key=lambda w: w["bottom"])
                assert "Charis" in last["fontname"] and last["size"] > 9.8, (
                    theme,
                    number,
                    last["text"],
                )


def hyphen_runs(pdf: Path) -> list[tuple[int | str, str]]:
    """Each page's body lines as a string, "h" for a line ending in a hyphen, "." for one
    that does not; the last page is called "last"."""
    found: list[tuple[int | str, str]] = []
    with pdfplumber.open(pdf) as doc:
        for number, page in enumerate(doc.pages, start=1):
            ends = [line_text(line).endswith(HYPHENS) for line in body_lines(page)]
            runs = "".join("h" if end else "." for end in ends)
            found.append(("last" if number == len(doc.pages) else number, runs))
    return found


@pytest.mark.parametrize("theme", THEMES)
def test_hyphens_at_most_two_in_a_row_and_never_over_a_page(built, theme):
    """WeasyPrint has neither hyphenate-limit-lines nor -last: pdf/internals.py sets the
    third hyphenated line in a row, and a page's last line, again without hyphenating."""
    found = hyphen_runs(built(theme))
    assert sum(runs.count("h") for _, runs in found) > 3  # it does hyphenate
    for page, runs in found:
        assert "hhh" not in runs, (theme, page, runs)
        assert not runs.endswith("h") or page == "last", (theme, page, runs)


def test_a_handout_keeps_its_words_whole_over_a_page_too(tmp_path):
    root = briefing_copy(tmp_path / "b", "briefing")
    out = root / "h.pdf"
    result = run("handout", "-C", root, "-o", out, "--edition", "teacher")
    assert result.exit_code == 0, result.output
    found = hyphen_runs(out)
    assert sum(len(runs) for _, runs in found) > 100  # the handout's body lines are read
    for page, runs in found:
        assert "hhh" not in runs, (page, runs)
        assert not runs.endswith("h") or page == "last", (page, runs)


@pytest.mark.parametrize("theme", THEMES)
def test_no_hyphenated_line_is_short(built, theme):
    """A line broken inside a word is a full line: WeasyPrint 70 once broke a line after the
    first word before an aid's passage ("defin-" alone on a line; markup/aidsources.py)."""
    with pdfplumber.open(built(theme)) as doc:
        for number, page in enumerate(doc.pages[3:], start=4):
            lines = body_lines(page)
            if not lines:
                continue
            column = max(line[-1]["x1"] for line in lines) - min(line[0]["x0"] for line in lines)
            for line in lines:
                if line_text(line).endswith(HYPHENS):
                    width = line[-1]["x1"] - line[0]["x0"]
                    assert width > column / 2, (theme, number, line_text(line))


def test_the_briefing_is_ragged_so_word_spaces_keep_their_width(built):
    """Justified in its narrow column, the briefing's word spaces stretched to 2.8 times their
    width; set ragged, every space on a full line is a plain space (the gaps between words
    on full lines are no wider than on a paragraph's last line)."""
    natural, widest = [], []
    with pdfplumber.open(built("briefing")) as doc:
        for page in doc.pages[3:]:
            for line in body_lines(page):
                gaps = [b["x0"] - a["x1"] for a, b in zip(line, line[1:], strict=False)]
                spaces = [g for g in gaps if g > 0.15 * line[0]["size"]]
                if spaces:
                    natural.append(statistics.median(spaces))
                    widest.append(max(spaces))
    assert max(widest) < 1.3 * statistics.median(natural)


def test_unknown_theme_is_an_error_naming_the_line(project):
    toml = project.root / "report.toml"
    toml.write_text(toml.read_text() + '\n[build]\ntheme = "bokk"\n')
    line = assert_clean_error(project.build("pdf"), names="report.toml")
    assert "did you mean 'book'" in line and "theme" in line


def test_init_theme_writes_the_key_and_builds(tmp_path):
    result = run("init", tmp_path / "b", "--theme", "book")
    assert result.exit_code == 0, result.output
    assert 'theme = "book"' in (tmp_path / "b" / "report.toml").read_text()
    assert (tmp_path / "b" / "styles" / "themes" / "book.css").is_file()
    assert run("init", tmp_path / "c", "--theme", "nope").exit_code == 2


def test_the_projects_copy_of_a_theme_is_the_one_used(tmp_path):
    root = briefing_copy(tmp_path / "b", "book")
    sheet = root / "styles" / "themes" / "book.css"
    sheet.write_text(sheet.read_text() + "\n.chapter-title { font-family: var(--sans); }\n")
    out = root / "o.pdf"
    assert run("pdf", "-C", root, "-o", out).exit_code == 0
    with pdfplumber.open(out) as doc:
        page = next(p for p in doc.pages if "CHAPTER 1" in (p.extract_text() or ""))
        assert "Inter" in [c for c in page.chars if c["size"] > 16][0]["fontname"]
