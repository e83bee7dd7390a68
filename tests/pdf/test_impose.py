"""Imposition: booklet order and sheet counts, checked by the text on each imposed sheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from build_report.pdf.impose import booklet_order
from pypdf import PdfReader

from tests.conftest import Project, new_project

FOOTER = re.compile(r"page (\d+) of (\d+)")


def test_booklet_order_pads_to_four() -> None:
    assert booklet_order(8) == [(7, 0), (1, 6), (5, 2), (3, 4)]
    assert booklet_order(5) == [(None, 0), (1, None), (None, 2), (3, 4)]
    assert booklet_order(0) == []


@pytest.fixture(scope="module")
def book_pdf(tmp_path_factory) -> tuple[Project, int]:
    """A book of chapters that each take one page, so every page is easy to recognise."""
    book = new_project(tmp_path_factory.mktemp("impose") / "book")
    root = book.root
    for n in range(1, 4):
        book.write(f"chapters/{n:02d}-c.md", f"---\ntitle: Chapter {n}\n---\n\nText {n}.\n")
    plain = root / "plain.pdf"
    assert book.build("pdf", "-o", plain).exit_code == 0
    return book, len(PdfReader(plain).pages)


def page_numbers(text: str) -> list[int]:
    return [int(n) for n, _ in FOOTER.findall(text)]


def test_booklet_sheets(book_pdf: tuple[Project, int]) -> None:
    book, pages = book_pdf
    assert pages == 5  # cover, contents, three chapters
    out = book.root / "booklet.pdf"
    result = book.build("pdf", "--booklet", "-o", out)
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    # Pages are laid out at A5 and placed at full size: the sheets are A4 landscape.
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [842, 595]
    laid_out = int(FOOTER.search(reader.pages[1].extract_text()).group(2))  # pages at A5
    order = booklet_order(laid_out)
    assert len(reader.pages) == len(order)
    for side, page in zip(order, reader.pages, strict=True):
        box = page.mediabox
        assert float(box.width) > float(box.height)  # landscape
        # The cover (page 1) prints no footer; the others print "page N of M".
        expected = [n + 1 for n in side if n is not None and n > 0]
        assert page_numbers(page.extract_text()) == expected, (side, page.extract_text())
    assert "Fixture Book" in reader.pages[0].extract_text()  # sheet 1 front: cover on the right


@pytest.mark.parametrize(("n", "sheets", "landscape"), [(2, 3, True), (4, 2, False)])
def test_n_up(book_pdf: tuple[Project, int], n: int, sheets: int, landscape: bool) -> None:
    book, pages = book_pdf
    out = book.root / f"{n}up.pdf"
    result = book.build("pdf", "--n-up", str(n), "-o", out)
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    assert len(reader.pages) == sheets == -(-pages // n)
    box = reader.pages[0].mediabox
    assert (float(box.width) > float(box.height)) == landscape
    seen = [num for page in reader.pages for num in page_numbers(page.extract_text())]
    assert seen == list(range(2, pages + 1))  # reading order kept; page 1 is the cover


def test_booklet_and_n_up_do_not_combine(book_pdf: tuple[Project, int]) -> None:
    book, _ = book_pdf
    result = book.build("pdf", "--booklet", "--n-up", "2")
    assert result.exit_code == 2


def test_handout_booklet_name(book_pdf: tuple[Project, int]) -> None:
    book, _ = book_pdf
    result = book.build("handout", "--booklet")
    assert result.exit_code == 0, result.output
    assert Path(book.root / "build" / "fixture-book-handout-student-booklet.pdf").is_file()
