"""The live PDF (`preview --pdf`) lays out a long chapter again only from the page an edit
touched, up to a page that starts where it did (pdf/live.py), and the PDF is still the one a
whole layout makes: page for page, outline, links, footers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import MINIMAL_TOML, REPO, Project, new_project
from tests.pdf.test_parallel import assert_same_book

WORDS = "Words of a long chapter that fill a line or two of the page, and go on. "
QUOTE = "Nobody reads a pull quote twice"


def paragraph(k: int, extra: str = "", short: bool = False) -> str:
    note = f" A claim with a source.[^n{k}]" if k % 25 == 3 else ""
    return f"Paragraph {k} begins here. " + WORDS * (k % 2 if short else 2 + k % 7) + note + extra


def chapter_two(extra: dict[int, str] | None = None, short: bool = False) -> str:
    """150 paragraphs (of one or two lines if `short`: pages of a book set solid, with no
    space between paragraphs, break between two only where a paragraph is too short to be
    cut), a heading, a pull quote, footnotes."""
    extra = extra or {}
    body = []
    for k in range(150):
        if k == 70:
            body.append("## The middle {#middle}")
        if k == 40:
            body.append(f"::: pullquote\n{QUOTE}, says the layout.\n:::")
        body.append(paragraph(k, extra.get(k, ""), short))
    notes = [f"[^n{k}]: Source number {k}." for k in range(150) if k % 25 == 3]
    return "---\ntitle: The Long One\n---\n\n" + "\n\n".join(body + notes) + "\n"


def live_book(root: Path, short: bool = False) -> Project:
    book = new_project(root)
    book.write("chapters/01-a.md", "---\ntitle: Before\n---\n\nA short chapter.\n")
    book.write("chapters/02-b.md", chapter_two(short=short))
    book.write(
        "chapters/03-c.md",
        "---\ntitle: After\n---\n\nSee [the middle](02-b.md#middle) of the long one.\n",
    )
    return book


def pictures(pdf: Path) -> list[bytes]:
    """Every page drawn (pdftoppm, 50 dpi, grey): what a reader sees, indents and all."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", "50", "-gray", str(pdf), f"{folder}/p"], check=True)
        return [page.read_bytes() for page in sorted(Path(folder).iterdir())]


@pytest.fixture
def spliced(tmp_path: Path, monkeypatch) -> Path:
    """A file where every splice (splice.py) leaves the pages it kept around its window (the
    builds lay out in forked processes: a file is what comes back)."""
    from build_report.pdf import splice as splicing

    marks = tmp_path / "spliced.txt"
    original = splicing.splice

    def spy(old, old_levels, first, resumed, *rest):
        with open(marks, "a", encoding="utf-8") as file:
            file.write(f"{first} {resumed}\n")
        return original(old, old_levels, first, resumed, *rest)

    monkeypatch.setattr(splicing, "splice", spy)
    return marks


@pytest.mark.parametrize("theme, chapter_break", [("report", "page"), ("book", "none")])
def test_an_edit_lays_out_from_its_page_and_the_pdf_is_a_whole_layouts(
    tmp_path: Path, spliced: Path, theme: str, chapter_break: str
) -> None:
    """In the report theme, the live PDF equals `build-report pdf`'s. The book theme indents a
    paragraph that follows another (`p + p`), and its chapters follow on, which the live PDF
    lays out a page apart: there it equals a live build that lays out every part whole."""
    from build_report import console
    from build_report.commands.build import build
    from build_report.processes import scratch_folder
    from build_report.writers import Options

    short = theme == "book"
    book = live_book(tmp_path / "book", short)
    settings = f'\n[build]\ntheme = "{theme}"\nchapter_break = "{chapter_break}"\n'
    book.write("report.toml", MINIMAL_TOML + settings)
    live = Options(project=book.root, live=True)
    if chapter_break == "page":
        whole_layout = replace(live, live=False, no_cache=True, jobs=1)
    else:
        whole_layout = replace(live, no_cache=True)  # no store: every part laid out whole
    later = {90: " A sentence added in the second half of the chapter, long enough for a line."}
    earlier = {20: " Another sentence, this time early in the chapter, where the first pages are."}
    edits = [later, later | earlier, {}]  # the last: back as it was, the store has its part
    console.current = console.Progress(quiet=True)
    with scratch_folder():
        first = build("pdf", live)
        for n, extra in enumerate(edits):
            book.write("chapters/02-b.md", chapter_two(extra, short))
            written = build("pdf", live)
            whole = book.root / f"whole-{n}.pdf"
            build("pdf", replace(whole_layout, output=whole))
            assert_same_book(whole, written.path, "Fixture Book")
            drawn, expected = pictures(written.path), pictures(whole)
            assert len(drawn) == len(expected)
            assert [
                k + 1 for k, (a, b) in enumerate(zip(drawn, expected, strict=True)) if a != b
            ] == []
    pages = len(PdfReader(first.path).pages)
    marks = [tuple(map(int, line.split())) for line in spliced.read_text().splitlines()]
    assert len(marks) == 2, marks  # the two edits; the third found its part in the store
    for kept_before, resumed in marks:
        assert 0 <= kept_before < resumed < pages, marks  # some pages were not laid out again
    assert marks[0][0] > 0, "the second half's edit kept the chapter's first pages"


def test_a_stopped_layout_is_the_whole_layouts_first_pages(tmp_path: Path) -> None:
    from build_report.commands.build import load_book
    from build_report.pdf import adapter
    from build_report.pdf.internals import Part, stop_meta
    from build_report.pdf.parallel import LIVE_PART_CHARS, plan
    from build_report.processes import scratch_folder
    from build_report.project.config import load_config

    book = live_book(tmp_path / "book")
    with scratch_folder():
        made = plan(load_book(load_config(book.root)), book.root / "x.pdf", LIVE_PART_CHARS)
        html = next(html for html, _ in made.parts if "Paragraph 149" in html)
        whole = Part(replace(made.layout, html=html), adapter.PdfOptions())
        clean = whole.pagination.clean  # page -> (element, tag)
        assert len(clean) >= 3, clean
        page, (element, _) = sorted(clean.items())[len(clean) // 2]
        stopped = html.replace("<head>", "<head>" + stop_meta([element]), 1)
        part = Part(replace(made.layout, html=stopped), adapter.PdfOptions())
    assert part.pagination.stopped == element and part.pages == page
    assert _texts(part.rendered.data) == _texts(whole.rendered.data)[:page]


def _texts(data: bytes) -> list[str]:
    import io

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize(
    "change, expected",
    [
        ({60: "<p>Changed later.</p>"}, "window"),
        ({1: "<p>Changed at the start.</p>"}, "from the head"),
        ({57: "<p>Changed just after a page start.</p>"}, "window, earlier"),
        ({60: '<p>Now with a note<a class="footnote">1</a>.</p>'}, None),
        ({60: "<h2>A heading now</h2>"}, None),
        ({60: '<div class="box"><h3>A heading inside</h3></div>'}, None),
    ],
)
def test_what_a_window_needs(change: dict[int, str], expected: str | None) -> None:
    from build_report.pdf.live import Laid, window

    old = [f"<p>Element {k}.</p>" for k in range(100)]
    clean = tuple((k, k // 5, "p") for k in range(5, 100, 5))  # every fifth starts a page
    before = Laid("old", "frame", tuple(old), clean, 20)
    new = [change.get(k, element) for k, element in enumerate(old)]
    found = window(before, new)
    if expected is None:
        assert found is None
        return
    start, first, stops = found
    if expected == "window":  # from the last clean start three elements before the change
        assert (start, first) == (55, 11)
        assert min(stops) == 65 and stops[65] == 13  # the first clean start after the change
    elif expected == "window, earlier":  # 55 starts a page, but too close to the change
        assert (start, first) == (50, 10)
    else:
        assert (start, first) == (0, 0)
        assert min(stops) == 5 and stops[5] == 1


def test_a_pull_quote_in_the_side_column_is_never_cut_by_a_page(tmp_path: Path) -> None:
    """The briefing theme floats pull quotes into the side column, and WeasyPrint cut a float
    at the foot of a page: "One of the most" on one page, "significant impacts has been the
    strain ..." on the next (the default briefing's fourth chapter, its text ten times over,
    as the bench's x10 book has it). The quote now goes whole to the next page."""
    import pdfplumber

    book = new_project(tmp_path / "book")
    toml = (REPO / "report.toml").read_text()  # the default briefing's settings
    book.write("report.toml", toml.replace('chapter_break = "none"', 'chapter_break = "page"'))
    _, front, body = (REPO / "chapters" / "04-impacts.md").read_text().split("---\n", 2)
    book.write("chapters/04-impacts.md", f"---\n{front}---\n" + "\n\n".join([body] * 10))
    out = book.root / "q.pdf"
    assert book.build("pdf", "-o", out).exit_code == 0
    quotes = 0
    with pdfplumber.open(out) as pdf:
        for page in pdf.pages[2:]:  # the side column: right of the text column
            side = page.crop((page.width * 0.62, 0, page.width, page.height)).extract_text()
            side = " ".join(side.split())
            assert side.count("One of the most") == side.count("transatlantic relations."), side
            quotes += side.count("transatlantic relations.")
    assert quotes == 10


def test_no_window_where_pages_are_styled_by_their_side(tmp_path: Path) -> None:
    """A window's first page is its own document's first, and a right-hand one: stylesheets
    that style pages by side, or the first or a blank one, get whole layouts."""
    from build_report.pdf.live import sided

    styles = tmp_path / "styles"
    styles.mkdir()
    (styles / "print.css").write_text('@import "more.css";\n@page { size: A4; }\n')
    (styles / "more.css").write_text("p:first-child { margin: 0; }\n")
    assert not sided(tmp_path, ["styles/print.css"])
    (styles / "more.css").write_text("@page :left { margin-left: 30mm; }\n")
    assert sided(tmp_path, ["styles/print.css"])


def test_a_damaged_index_is_no_index(tmp_path: Path) -> None:
    from build_report.pdf.live import INDEX, read_index

    (tmp_path / INDEX).write_bytes(b"not a pickle")
    assert read_index(tmp_path) == {} and read_index(None) == {}
