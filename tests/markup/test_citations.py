"""Citations (`[@key]`) formatted by CSL styles: notes in Chicago, author-date in APA, the
list of sources, and what `check` says about keys and bibliography files."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from tests.apparatus_book import apparatus_book, page_of, pdf_text
from tests.conftest import Project, run

XHTML = {"x": "http://www.w3.org/1999/xhtml"}


def epub_texts(book: Project) -> dict[str, etree._Element]:
    result = book.build("epub")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(book.root / "build" / "fixture-book.epub") as archive:
        return {
            n: etree.fromstring(archive.read(n)) for n in archive.namelist() if n.endswith(".xhtml")
        }


def flat(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


@pytest.fixture(scope="module")
def chicago(tmp_path_factory) -> Project:
    return apparatus_book(tmp_path_factory.mktemp("chicago") / "book")


@pytest.fixture(scope="module")
def chicago_pdf(chicago: Project) -> Path:
    result = chicago.build("pdf")
    assert result.exit_code == 0, result.output
    return chicago.root / "build" / "fixture-book.pdf"


def test_chicago_notes_full_then_short_at_the_foot_of_the_page(chicago_pdf: Path) -> None:
    text = " ".join(pdf_text(chicago_pdf).split())
    text = text.replace("\u2013 ", "\u2013")  # "45–" may end a line of the note
    first = "Jane Smith and John Doe, The Baltic Question (Oxford University Press, 2020), 4."
    assert first in text
    assert (
        "See Aino Virtanen, “Energy Security in Finland,” Journal of Nordic Studies 12, "
        "no. 3 (2019): 45–67; NATO, Strategic Concept (North Atlantic Treaty Organization, "
        "2022)." in text
    )
    # After the first citation, the note is shortened.
    assert text.count("Smith and Doe, The Baltic Question.") == 2  # narrative, later
    # The note is printed on the page that calls it, below the text.
    assert page_of(chicago_pdf, first) == page_of(chicago_pdf, "Smith argues this")
    # The call follows the punctuation, with no space before it: "this,1 and".
    assert re.search(r"Smith argues this,\s?1 and others agree\.\s?2", text), text[:3000]
    assert "[@" not in text and "@smith2020" not in text
    assert "As Smith and Doe" in text  # a narrative citation names the authors


def test_chicago_bibliography_entries(chicago: Project) -> None:
    docs = epub_texts(chicago)
    sources = [
        flat(li)
        for doc in docs.values()
        for li in doc.iterfind(".//x:section[@role='doc-bibliography']//x:li", XHTML)
    ]
    assert sources == [
        "Korhonen, Matti. “Helsinki Prepares for Winter.” Yle News, 2023. https://yle.fi/a/123.",
        "NATO. Strategic Concept. North Atlantic Treaty Organization, 2022.",
        "Smith, Jane, and John Doe. The Baltic Question. Oxford University Press, 2020.",
        "Virtanen, Aino. “Energy Security in Finland.” Journal of Nordic Studies 12, "
        "no. 3 (2019): 45–67.",
    ]
    # Notes in the EPUB: numbered with the chapter's notes, linked both ways.
    chapter = next(d for d in docs.values() if "Smith argues" in flat(d))
    calls = chapter.findall(".//x:a[@role='doc-noteref']", XHTML)
    notes = chapter.findall(".//x:aside[@role='doc-footnote']", XHTML)
    assert [flat(a) for a in calls] == ["1", "2"] and len(notes) == 2
    assert flat(notes[0]).startswith("1 Jane Smith and John Doe")
    # A citation's note and the author's, side by side, read "2,3".
    second = next(d for d in docs.values() if "winter is coming" in flat(d))
    assert "winter is coming.2,3 Later again.4" in flat(second)
    assert [flat(n)[2:] for n in second.findall(".//x:aside[@role='doc-footnote']", XHTML)] == [
        "Smith and Doe, The Baltic Question.",
        "Matti Korhonen, “Helsinki Prepares for Winter,” Yle News, 2023, https://yle.fi/a/123.",
        "As the news had it.",
        "Smith and Doe, The Baltic Question.",
    ]


def test_apa_in_text_and_reference_list(tmp_path: Path) -> None:
    book = apparatus_book(tmp_path / "book", references='style = "apa"\nsources = "chapter"\n')
    docs = epub_texts(book)
    text = " ".join(flat(d) for d in docs.values())
    assert "Smith argues this (Smith & Doe, 2020, p. 4)," in text
    assert "others agree (NATO, 2022; see Virtanen, 2019)." in text  # APA sorts a cite's items
    assert "As Smith and Doe (2020) notes" in text
    lists = [
        [flat(li) for li in doc.iterfind(".//x:section[@role='doc-bibliography']//x:li", XHTML)]
        for doc in docs.values()
    ]
    lists = [found for found in lists if found]
    assert lists == [
        [
            "NATO. (2022). Strategic Concept. North Atlantic Treaty Organization.",
            "Smith, J., & Doe, J. (2020). The Baltic Question. Oxford University Press.",
            "Virtanen, A. (2019). Energy Security in Finland. Journal of Nordic Studies, "
            "12(3), 45–67.",
        ],
        [
            "Korhonen, M. (2023). Helsinki Prepares for Winter. Yle News. https://yle.fi/a/123",
            "Smith, J., & Doe, J. (2020). The Baltic Question. Oxford University Press.",
        ],
    ]


def test_check_unknown_key_unused_entry_and_malformed_bib(tmp_path: Path) -> None:
    book = apparatus_book(tmp_path / "book")
    chapter = book.root / "chapters" / "02-second.md"
    text = chapter.read_text()
    book.write("chapters/02-second.md", text + "\nAs claimed [@nobody2000, p. 3].\n")
    bib = (book.root / "references.bib").read_text()
    book.write("references.bib", bib + "\n@book{unused1999, title = {Never}, year = 1999}\n")
    result = run("-v", "check", "-C", book.root)
    assert result.exit_code == 1, result.output
    line = text.count("\n") + 2
    assert (
        f"chapters/02-second.md:{line}: error: citation of 'nobody2000': "
        "no such entry in the bibliography" in result.output
    )
    unused_line = bib.count("\n") + 2
    assert f"references.bib:{unused_line}: warning: entry 'unused1999' is never cited" in (
        result.output
    )
    assert book.build("pdf").exit_code == 1

    book.write("chapters/02-second.md", text)
    book.write("references.bib", bib.replace("  volume = {12},", "  volume = {12", 1))
    result = book.build("check")
    assert result.exit_code == 1, result.output
    broken = next(i for i, x in enumerate(bib.splitlines(), 1) if "volume = {12}" in x)
    start = next(i for i, x in enumerate(bib.splitlines(), 1) if "@article{virtanen2019" in x)
    assert (
        f"references.bib:{broken}: error: entry 'virtanen2019' (from line {start}): "
        "field 'volume': its brace is never closed" in result.output
    ), result.output


def test_plain_at_words_and_emails_are_not_citations(tmp_path: Path) -> None:
    book = apparatus_book(tmp_path / "book")
    text = (book.root / "chapters" / "02-second.md").read_text()
    book.write("chapters/02-second.md", text + "\nFollow @someone or write to a@b.org.\n")
    result = book.build("check")
    assert result.exit_code == 0, result.output
    docs = epub_texts(book)
    assert "Follow @someone or write to a@b.org." in " ".join(flat(d) for d in docs.values())


def test_bibliography_outside_the_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.bib").write_text("@book{x, title={Secret}}\n")
    book = apparatus_book(tmp_path / "book")
    config = (book.root / "report.toml").read_text()
    book.write(
        "report.toml", config.replace('"references.bib"', '["references.bib", "../outside.bib"]')
    )
    result = book.build("check")
    assert result.exit_code == 1
    assert "report.toml" in result.output and "outside the project" in result.output
    assert "Secret" not in result.output


def test_csl_json_and_yaml_sources(tmp_path: Path) -> None:
    import json

    book = apparatus_book(tmp_path / "book")
    entry = {
        "id": "lee2021",
        "type": "book",
        "title": "Northern Lights",
        "author": [{"family": "Lee", "given": "Ann"}],
        "issued": {"date-parts": [[2021]]},
        "publisher": "Aurora Press",
    }
    book.write("more.json", json.dumps([entry]))
    book.write(
        "more.yaml",
        "references:\n- id: kim2018\n  type: book\n  title: Ice\n"
        "  author:\n  - family: Kim\n    given: Bo\n  issued:\n    date-parts: [[2018]]\n",
    )
    config = (book.root / "report.toml").read_text()
    book.write(
        "report.toml",
        config.replace('"references.bib"', '["references.bib", "more.json", "more.yaml"]'),
    )
    text = (book.root / "chapters" / "02-second.md").read_text()
    book.write("chapters/02-second.md", text + "\nAlso [@lee2021] and [@kim2018].\n")
    docs = epub_texts(book)
    text = " ".join(flat(d) for d in docs.values())
    assert "Lee, Ann. Northern Lights. Aurora Press, 2021." in text
    assert "Kim, Bo. Ice, 2018." in text or "Kim, Bo. Ice. 2018." in text


def test_handout_keeps_book_numbers_and_lists_its_chapters_sources(tmp_path: Path) -> None:
    book = apparatus_book(tmp_path / "book")
    result = book.build("handout", "--chapters", "2")
    assert result.exit_code == 0, result.output
    handout = book.root / "build" / "fixture-book-handout-student.pdf"
    text = " ".join(pdf_text(handout).split())
    assert "As Figure 1 shows" in text  # chapter 1's figure keeps its number, without a page
    assert "Figure 2: Second chart" in text and "Table 2: Costs by region" in text
    sources = text[text.index("Sources") :]
    assert "Korhonen, Matti." in sources and "Smith, Jane, and John Doe." in sources
    assert "Virtanen" not in sources  # cited only in chapter 1
    # The handout stands alone: its first citation of a source is given in full.
    assert "1. Jane Smith and John Doe, The Baltic Question (Oxford University Press, 2020)." in (
        text
    )


def test_any_csl_file_in_the_project(tmp_path: Path) -> None:
    import shutil

    from build_report.markup.bibliography import STYLES

    book = apparatus_book(tmp_path / "book", references='style = "styles/house.csl"\n')
    shutil.copy(STYLES / "chicago-author-date.csl", book.root / "styles" / "house.csl")
    docs = epub_texts(book)
    text = " ".join(flat(d) for d in docs.values())
    assert "Smith argues this (Smith and Doe 2020, 4)," in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<style>not closed", "is not well-formed XML"),
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "/etc/passwd">]><x/>', "DTD"),
        ("<html/>", "is not a CSL style"),
    ],
)
def test_a_bad_csl_file_is_an_error_in_check(tmp_path: Path, content: str, message: str) -> None:
    book = apparatus_book(tmp_path / "book", references='style = "styles/bad.csl"\n')
    book.write("styles/bad.csl", content)
    result = book.build("check")
    assert result.exit_code == 1, result.output
    assert "report.toml:" in result.output and message in result.output
    assert "root:" not in result.output  # nothing of /etc/passwd
    assert book.build("pdf").exit_code == 1


def test_a_near_miss_of_a_key_in_the_text_is_a_warning(tmp_path: Path) -> None:
    book = apparatus_book(tmp_path / "book")
    text = (book.root / "chapters" / "02-second.md").read_text()
    book.write("chapters/02-second.md", text + "\nAs @smtih2020 says.\n")
    result = book.build("check")
    assert result.exit_code == 0, result.output
    line = text.count("\n") + 2
    assert (
        f"chapters/02-second.md:{line}: warning: @smtih2020 is not in the bibliography and is "
        "printed as written; did you mean @smith2020?" in result.output
    )


def test_an_entry_cited_only_for_teachers_is_used(tmp_path: Path) -> None:
    book = apparatus_book(tmp_path / "book")
    bib = (book.root / "references.bib").read_text()
    book.write(
        "references.bib", bib + "\n@book{guide2001, title = {Teaching Guide}, year = 2001}\n"
    )
    text = (book.root / "chapters" / "02-second.md").read_text()
    book.write("chapters/02-second.md", text + "\n::: teacher\nSee [@guide2001].\n:::\n")
    result = book.build("check")
    assert result.exit_code == 0 and "0 warning(s)" in result.output, result.output
    assert book.build("pdf", "--strict").exit_code == 0  # the student edition drops the cite
    assert book.build("pdf", "--strict", "--edition", "teacher").exit_code == 0


def test_an_edited_bibliography_or_style_rebuilds(tmp_path: Path) -> None:
    """The cache knows the files [references] names: a corrected entry is not left out of
    an output that calls itself up to date."""
    book = apparatus_book(tmp_path / "book", references='style = "styles/house.csl"\n')
    from build_report.markup.bibliography import STYLES

    book.write("styles/house.csl", (STYLES / "apa.csl").read_text(encoding="utf-8"))
    assert "up to date" not in book.build("pdf").output
    assert "up to date" in book.build("pdf").output
    bib = book.root / "references.bib"
    bib.write_text(bib.read_text().replace("The Baltic Question", "The Nordic Question"))
    result = book.build("pdf")
    assert "up to date" not in result.output, result.output
    assert "The Nordic Question" in pdf_text(book.root / "build" / "fixture-book.pdf")
    assert "up to date" in book.build("pdf").output
    style = book.root / "styles" / "house.csl"
    style.write_text(style.read_text().replace("APA Style 7th edition", "House style"))
    assert "up to date" not in book.build("pdf").output
