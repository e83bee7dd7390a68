"""The glossary of key terms and the index of `[term]{.index}` marks, in print and EPUB."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from tests.apparatus_book import apparatus_book, page_of, pdf_text
from tests.conftest import Project

XHTML = {"x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Project:
    return apparatus_book(tmp_path_factory.mktemp("back") / "book")


@pytest.fixture(scope="module")
def pdf(book: Project) -> Path:
    result = book.build("pdf")
    assert result.exit_code == 0, result.output
    return book.root / "build" / "fixture-book.pdf"


def index_lines(pdf: Path) -> dict[str, list[int]]:
    text = pdf_text(pdf)
    index = text[text.rindex("Index") :]
    found = {}
    for term, pages in re.findall(r"([A-Z][A-Za-z]+)\s*((?:\d+,\s*)*\d+)", index):
        found[term] = [int(p) for p in pages.split(",")]
    return found


def test_index_pages_are_the_pages_of_the_terms(pdf: Path) -> None:
    index = index_lines(pdf)
    helsinki = [
        *page_of(pdf, "The talks were held in Helsinki"),
        *page_of(pdf, "Officials met again in Helsinki"),
        *page_of(pdf, "Back in the capital"),
    ]
    assert len(set(helsinki)) >= 2, "the fixture puts the marks on different pages"
    assert index["Helsinki"] == helsinki
    assert index["Deterrence"] == page_of(pdf, "under the doctrine of deterrence")
    assert index["NATO"] == page_of(pdf, "Back in the capital, NATO waited")


def test_index_is_the_last_page_and_the_glossary_precedes_it(pdf: Path) -> None:
    from pypdf import PdfReader

    pages = len(PdfReader(pdf).pages)
    text = pdf_text(pdf)
    deterrence = page_of(pdf, "under the doctrine of deterrence")[0]
    assert page_of(pdf, f"Deterrence{deterrence}")[-1] == pages  # "Deterrence 3" in the index
    glossary = page_of(pdf, "Discouraging an action by the threat of a response.")
    assert glossary and glossary[-1] < pages
    assert "Glossary" in text and text.index("Glossary") < text.rindex("Index")


def test_epub_glossary_and_index_link_to_the_terms(book: Project) -> None:
    result = book.build("epub")
    assert result.exit_code == 0 and "warning" not in result.output, result.output
    with zipfile.ZipFile(book.root / "build" / "fixture-book.epub") as archive:
        docs = {
            Path(n).name: etree.fromstring(archive.read(n))
            for n in archive.namelist()
            if n.endswith(".xhtml")
        }
    last = next(
        d for d in docs.values() if d.find(".//x:section[@role='doc-index']", XHTML) is not None
    )
    glossary = last.find(".//x:section[@role='doc-glossary']", XHTML)
    assert [t.text for t in glossary.iterfind(".//x:dt", XHTML)] == ["Deterrence"]
    entries = {
        li.find("x:span", XHTML).text: [a.get("href") for a in li.iterfind("x:a", XHTML)]
        for li in last.iterfind(".//x:section[@role='doc-index']//x:li", XHTML)
    }
    assert set(entries) == {"Deterrence", "Helsinki", "NATO"}
    nav = next(d for d in docs.values() if d.find(".//x:nav[@id='toc']", XHTML) is not None)
    shown = [a.text for a in nav.iterfind(".//x:nav[@id='toc']//x:a", XHTML)]
    assert shown[-3:] == ["Sources", "Glossary", "Index"]  # the back matter is in the nav
    title_page = next(
        d for d in docs.values() if d.find(".//x:nav[@id='contents']", XHTML) is not None
    )
    back = [a.get("href") for a in title_page.iterfind(".//x:li[@class='toc-back']/x:a", XHTML)]
    assert [h.partition("#")[2] for h in back] == ["second--sources", "back-glossary", "back-index"]
    assert all(
        docs[h.partition("#")[0]].find(f".//*[@id='{h.partition('#')[2]}']", XHTML) is not None
        for h in back
    )
    assert len(entries["Helsinki"]) == 2  # one link per chapter
    for links in entries.values():
        for href in links:
            name, _, ident = href.rpartition("#")
            target = docs[name] if name else last
            assert target.find(f".//*[@id='{ident}']", XHTML) is not None, href


@pytest.mark.slow
def test_epubcheck_clean_with_the_whole_apparatus(book: Project) -> None:
    result = book.build("epub", "--check")
    assert result.exit_code == 0, result.output
    assert "EPUBCheck: no errors or warnings" in result.output


def test_contents_list_the_back_matter_at_its_pages(pdf: Path) -> None:
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        contents = document.pages[1].extract_text()
    for title in ("Sources", "Glossary", "Index"):
        line = next(x for x in contents.splitlines() if x.startswith(title))
        printed = int(line.rstrip().rsplit(" ", 1)[-1].strip(". "))
        heads = [p for p in page_of(pdf, title) if p > 2]
        assert printed == heads[0], (title, line, heads)
