"""Numbered figures, tables and sections, and `@fig-x` cross-references, in every output."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from tests.apparatus_book import apparatus_book, page_of, pdf_text
from tests.conftest import Project, run

XHTML = {"x": "http://www.w3.org/1999/xhtml"}
SECTIONS = "\n[numbering]\nsections = true\n"


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Project:
    return apparatus_book(tmp_path_factory.mktemp("xref") / "book", SECTIONS)


@pytest.fixture(scope="module")
def pdf(book: Project) -> Path:
    result = book.build("pdf")
    assert result.exit_code == 0, result.output
    return book.root / "build" / "fixture-book.pdf"


@pytest.mark.parametrize(
    ("reference", "target"),
    [
        ("Figure 1", "Figure 1: Revenue by year"),
        ("Table 1", "Table 1: Budget by year"),
        ("Section 1.2", "1.2 Method"),
        ("Table 2", "Table 2: Costs by region"),
    ],
)
def test_printed_page_is_the_page_of_the_target(pdf: Path, reference: str, target: str) -> None:
    text = pdf_text(pdf)
    pages = {int(n) for n in re.findall(rf"{reference} \(p\. (\d+)\)", text)}
    assert pages, text[:2000]
    where = page_of(pdf, target)
    assert len(where) == 1, (target, where)
    assert pages == set(where)


def test_references_span_pages_and_chapters(pdf: Path) -> None:
    """The fixture is laid out so that references and targets fall on different pages."""
    assert page_of(pdf, "Figure 1: Revenue by year") != page_of(pdf, "The trend is in")
    assert len(page_of(pdf, "Figure 1 (p.")) == 2  # from chapter 1 and chapter 2


def test_unnumbered_heading_and_email(pdf: Path) -> None:
    text = pdf_text(pdf)
    assert "1.2.1 Details" in text
    assert re.search(r"^Notes$", text, re.M), "a {-} heading has no number"
    assert re.search(r"^Appendix$", text, re.M), "an .unnumbered heading has no number"
    assert "See “Appendix” (p." in text  # a reference to it names it
    assert "{" not in text
    assert "jane@example.org" in text


def test_epub_figures_captions_and_links(book: Project) -> None:
    result = book.build("epub")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(book.root / "build" / "fixture-book.epub") as archive:
        names = [n for n in archive.namelist() if n.endswith(".xhtml")]
        docs = {n: etree.fromstring(archive.read(n)) for n in names}
    first = next(d for n, d in docs.items() if d.find(".//x:figure", XHTML) is not None)
    figure = first.find(".//x:figure", XHTML)
    assert figure.get("id") == "fig-revenue"
    caption = "".join(figure.find("x:figcaption", XHTML).itertext())
    assert caption == "Figure 1: Revenue by year"
    table = first.find(".//x:table[@id='tbl-budget']", XHTML)
    assert "".join(table.find("x:caption", XHTML).itertext()) == "Table 1: Budget by year"
    second_name, second = next(
        (n, d) for n, d in docs.items() if d.find(".//x:table[@id='tbl-costs']", XHTML) is not None
    )
    links = {
        "".join(a.itertext()): a.get("href")
        for a in second.iterfind(".//x:a[@class]", XHTML)
        if "xref" in a.get("class")
    }
    first_name = next(n for n, d in docs.items() if d is first)
    here = Path(first_name).name
    assert links["Figure 1"] == f"{here}#fig-revenue"
    assert links["Section 1.2"] == f"{here}#first--sec-method"
    assert links["Table 2"] == "#tbl-costs"
    assert "(p." not in "".join(second.itertext()), "no page numbers in a reflowable book"
    assert second_name != first_name


def test_per_chapter_numbering_and_lists(tmp_path: Path) -> None:
    toml = SECTIONS + "per_chapter = true\nlist_of_figures = true\nlist_of_tables = true\n"
    book = apparatus_book(tmp_path / "book", toml)
    result = book.build("pdf")
    assert result.exit_code == 0, result.output
    pdf = book.root / "build" / "fixture-book.pdf"
    text = pdf_text(pdf)
    assert "Figure 2.1: Second chart" in text
    assert "Table 2.1: Costs by region" in text
    contents = page_of(pdf, "List of figures")
    assert contents == page_of(pdf, "List of tables") == [2]
    # The list's page number is the figure's page.
    line = next(x for x in text.splitlines() if x.startswith("2.1 Second chart"))
    assert int(line.rsplit(" ", 1)[1].strip(". ")) == page_of(pdf, "Figure 2.1: Second chart")[0]


def test_check_reports_unknown_reference_at_its_line(tmp_path: Path) -> None:
    book = apparatus_book(tmp_path / "book")
    text = (book.root / "chapters" / "02-second.md").read_text()
    book.write("chapters/02-second.md", text + "\nSee @fig-nope and [@tbl-nope].\n")
    line = text.count("\n") + 2
    result = run("-v", "check", "-C", book.root)
    assert result.exit_code == 1, result.output
    assert f"chapters/02-second.md:{line}: error: @fig-nope" in result.output
    assert f"chapters/02-second.md:{line}: error: @tbl-nope" in result.output
    assert book.build("pdf").exit_code == 1  # the build refuses what check refuses


def test_check_agrees_with_builds_on_figure_and_table_ids(tmp_path: Path) -> None:
    book = apparatus_book(tmp_path / "book")
    text = (book.root / "chapters" / "02-second.md").read_text()
    book.write("chapters/02-second.md", text + "\n[chart](#fig-second), [costs](#tbl-costs).\n")
    result = book.build("check")
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


def test_without_section_numbers_a_section_is_named_by_its_title(tmp_path: Path) -> None:
    book = apparatus_book(tmp_path / "book")
    result = book.build("epub")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(book.root / "build" / "fixture-book.epub") as archive:
        text = " ".join(
            "".join(etree.fromstring(archive.read(n)).itertext())
            for n in archive.namelist()
            if n.endswith(".xhtml")
        )
    assert "approach in “Method”." in text
    assert "1.2 Method" not in text and "Section 1" not in text


def test_parallel_layout_prints_the_same_pages(book: Project, pdf: Path, tmp_path: Path) -> None:
    """--jobs lays out parts apart, where a page number would count from the part: a book
    that prints its own pages is laid out in one process, with the same references."""
    out = tmp_path / "jobs.pdf"
    result = book.build("pdf", "--jobs", "2", "-o", out)
    assert result.exit_code == 0, result.output
    found = re.findall(r"(?:Figure|Table|Section) [\d.]+ \(p\. \d+\)", pdf_text(out))
    assert found and found == re.findall(
        r"(?:Figure|Table|Section) [\d.]+ \(p\. \d+\)", pdf_text(pdf)
    )


def test_epub_lists_of_figures_and_tables_link_to_them(tmp_path: Path) -> None:
    toml = SECTIONS + "list_of_figures = true\nlist_of_tables = true\n"
    book = apparatus_book(tmp_path / "book", toml)
    result = book.build("epub")
    assert result.exit_code == 0 and "warning" not in result.output, result.output
    with zipfile.ZipFile(book.root / "build" / "fixture-book.epub") as archive:
        docs = {
            Path(n).name: etree.fromstring(archive.read(n))
            for n in archive.namelist()
            if n.endswith(".xhtml")
        }
    title = next(d for d in docs.values() if d.find(".//x:nav[@id='contents']", XHTML) is not None)
    figures = title.findall(".//x:ol[@class='toc-list toc-figures']", XHTML)
    assert len(figures) == 2
    entries = [(flat_text(a), a.get("href")) for a in figures[0].iterfind(".//x:a", XHTML)]
    assert [e[0] for e in entries] == ["1Revenue by year", "2Second chart"]
    for _, href in entries:
        name, _, ident = href.partition("#")
        assert docs[name].find(f".//x:figure[@id='{ident}']", XHTML) is not None


def flat_text(element) -> str:
    return "".join(element.itertext())
