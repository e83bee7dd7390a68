"""The ebook's page breaks are the PDF's: the text after each page marker in the XHTML is on
that page of the PDF, the page-list leads to the markers in order, and the package says where
the page numbers come from (pages/record.py, ebook/pagebreaks.py)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import REPO, corpus_folder, new_project, normalize, run

NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
WORDS = 5  # words after (and before) a marker that must be on its page (the page before)


def briefing(root: Path) -> Path:
    """A copy of the default briefing (the project's own chapters) at `root`."""
    import shutil

    new_project(root)
    shutil.copytree(REPO / "chapters", root / "chapters")
    shutil.copy(REPO / "report.toml", root / "report.toml")
    return root


def build(root: Path, *args: str) -> None:
    result = run(*args, "-C", root, "--force")
    assert result.exit_code == 0, result.output


def epub_documents(path: Path) -> tuple[dict[str, etree._Element], list[str], etree._Element]:
    """The EPUB's XHTML documents by name, its spine (document names) and its package."""
    with zipfile.ZipFile(path) as archive:
        package = etree.fromstring(archive.read("EPUB/package.opf"))
        docs = {
            name.removeprefix("EPUB/"): etree.fromstring(archive.read(name))
            for name in archive.namelist()
            if name.endswith(".xhtml")
        }
    items = {i.get("id"): i.get("href") for i in package.iterfind(".//opf:item", NS)}
    spine = [items[ref.get("idref")] for ref in package.iterfind(".//opf:itemref", NS)]
    return docs, spine, package


def reading_order(element: etree._Element, text: list) -> None:
    """The text under `element` as (None, text), and each page marker as (marker, "")."""
    if element.get("role") == "doc-noteref" or etree.QName(element).localname == "math":
        return  # a note's number (generated in print), MathML (drawn as an image in print)
    if element.get("role") == "doc-pagebreak":
        text.append((element, ""))
    elif element.text:
        text.append((None, element.text))
    for child in element:
        reading_order(child, text)
        if child.tail:
            text.append((None, child.tail))


def markers_in_order(docs, spine) -> list[tuple[str, str, str, str]]:
    """Every page marker in reading order: (document, id, the letters before and after it in
    its document)."""
    found = []
    for name in spine:
        root = docs[name]
        chapter = root.find(".//x:section[@role='doc-chapter']", NS)  # not the pager after it
        if chapter is None:
            assert root.find(".//x:*[@role='doc-pagebreak']", NS) is None, name
            continue
        text: list[tuple[etree._Element | None, str]] = []
        reading_order(chapter, text)
        for i, (marker, _) in enumerate(text):
            if marker is None:
                continue
            before = words("".join(t for m, t in text[:i] if m is None))
            after = words("".join(t for m, t in text[i + 1 :] if m is None))
            found.append((name, marker.get("id"), before[-WORDS:], after[:WORDS]))
    return found


def words(text: str) -> list[str]:
    """The words of `text`, letters and digits only (see conftest.normalize)."""
    return [w for w in (normalize(w) for w in text.split()) if w]


def on_page(found: list[str], page: str) -> bool:
    """Whether these words are on the page, in this order, with at most a few letters between
    them: what print adds that the XHTML has not (a list item's number, a hyphenated word's
    parts counted apart, a code line's wrapped end that the PDF's text puts a line later)."""
    import re

    return re.search(".{0,12}".join(re.escape(w) for w in found), page) is not None


def pdf_pages(path: Path) -> list[str]:
    """Each page's text, letters and digits only. Poppler's pdftotext, as pdfplumber (0.11)
    leaves out some of the highlighted code's words."""
    made = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    return [normalize(page) for page in made.stdout.split("\f")[:-1]]


def check_agreement(epub: Path, pdf: Path) -> list[str]:
    """The page labels of every marker, after checking each against the PDF."""
    docs, spine, package = epub_documents(epub)
    pages = pdf_pages(pdf)
    markers = markers_in_order(docs, spine)
    assert markers, "no page markers"
    labels = []
    for name, ident, before, after in markers:
        marker = docs[name].find(f".//x:*[@id='{ident}']", NS)
        label = marker.get("title")
        assert marker.get(EPUB_TYPE) == "pagebreak" and marker.get("aria-label") == label
        assert ident == f"page-{label}"
        assert len(marker) == 0 and not (marker.text or "").strip(), "a marker shows nothing"
        assert after, f"nothing follows the marker of page {label} in {name}"
        assert on_page(after, pages[int(label) - 1]), (
            f"{name}: the text after page {label}'s marker, {after!r}, is not on PDF page {label}"
        )
        if before:  # and the marker is not late: what comes before it is on the page before
            assert on_page(before, pages[int(label) - 2]), (
                f"{name}: the text before page {label}'s marker, {before!r}, is not on PDF "
                f"page {int(label) - 1}"
            )
        labels.append(label)
    numbers = [int(label) for label in labels]
    assert numbers == sorted(set(numbers)), "markers in page order, each page once"
    # the page-list leads to every marker, in order
    nav = docs["nav.xhtml"].find(".//x:nav[@epub:type='page-list']", NS)
    assert nav is not None and nav.get("role") == "doc-pagelist" and nav.get("hidden")
    entries = [(a.text, a.get("href")) for a in nav.iterfind(".//x:a", NS)]
    wanted = [f"{name}#{ident}" for name, ident, _, _ in markers]
    assert entries == list(zip(labels, wanted, strict=True))
    # and the package says where the page breaks come from
    meta = package.find(".//opf:meta[@property='pageBreakSource']", NS)
    assert meta is not None and meta.text.startswith("urn:uuid:")
    features = {
        m.text
        for m in package.iterfind(".//opf:meta", NS)
        if m.get("property") == "schema:accessibilityFeature"
    }
    assert {"pageBreakMarkers", "pageNavigation"} <= features
    return labels


def test_briefing_markers_are_the_pdf_pages(tmp_path: Path) -> None:
    root = briefing(tmp_path / "briefing")
    build(root, "pdf")
    records = list((root / "build" / ".cache" / "pages").glob("*.json"))
    assert len(records) == 1, "the PDF build records where its pages start"
    build(root, "epub")
    build(root, "html")
    pdf = next((root / "build").glob("*.pdf"))
    epub = next((root / "build").glob("*.epub"))
    labels = check_agreement(epub, pdf)
    count = len(pdf_pages(pdf))
    chapter_pages = [i + 1 for i, text in enumerate(pdf_pages(pdf)) if "chapter1" in text]
    # every page from the first chapter's on has its marker; cover, contents, summary none
    assert [int(n) for n in labels] == list(range(chapter_pages[0], count + 1))
    # the html folder is the same file set: the same markers and page-list
    folder = root / "build" / "html"
    _, spine, _ = epub_documents(epub)
    with zipfile.ZipFile(epub) as archive:
        for name in [*spine, "nav.xhtml"]:
            assert (folder / name).read_bytes() == archive.read(f"EPUB/{name}"), name
        assert not any(b"data-pb=" in archive.read(n) for n in archive.namelist()), (
            "the block names are the layout's business, not the reader's"
        )


def test_a_selection_keeps_the_whole_books_pages(tmp_path: Path) -> None:
    """An ebook of chapter 3 only: its markers are the pages chapter 3 has in the whole PDF."""
    root = briefing(tmp_path / "briefing")
    build(root, "pdf")
    build(root, "epub", "--chapters", "3", "-o", root / "build" / "three.epub")
    pdf = next((root / "build").glob("*.pdf"))
    labels = [int(n) for n in check_agreement(root / "build" / "three.epub", pdf)]
    pages = pdf_pages(pdf)
    title = normalize("Key Interactions and Encounters")
    first = next(i + 1 for i, text in enumerate(pages) if "chapter3" + title in text)
    ending = normalize("impact on international diplomacy and security.")  # its last words
    last = next(i + 1 for i, text in enumerate(pages) if ending in text)
    assert labels and labels[0] == first and all(first <= n <= last for n in labels)


def test_without_print_pages_no_markers(tmp_path: Path) -> None:
    root = briefing(tmp_path / "briefing")
    toml = root / "report.toml"
    toml.write_text(toml.read_text().replace("[build]\n", "[build]\nprint_pages = false\n"))
    build(root, "epub")
    docs, _, package = epub_documents(next((root / "build").glob("*.epub")))
    assert not any(
        root.find(".//x:*[@role='doc-pagebreak']", NS) is not None for root in docs.values()
    )
    assert docs["nav.xhtml"].find(".//x:nav[@epub:type='page-list']", NS) is None
    assert package.find(".//opf:meta[@property='pageBreakSource']", NS) is None
    assert not (root / "build" / ".cache" / "pages").exists(), "nothing was laid out"


def test_handout_cites_the_briefings_pages(tmp_path: Path) -> None:
    """[handout] briefing_pages: each chapter heading says where the chapter is in the PDF."""
    root = new_project(tmp_path / "book").root
    long = "\n\n".join(f"Paragraph {n} of the long chapter. " * 12 for n in range(30))
    (root / "chapters").mkdir()
    (root / "chapters" / "01-long.md").write_text(f"---\ntitle: Long One\n---\n\n{long}\n")
    short = "---\ntitle: Short Two\n---\n\nZebra crossing.\n"
    (root / "chapters" / "02-short.md").write_text(short)
    toml = root / "report.toml"
    toml.write_text(toml.read_text() + "\n[handout]\nbriefing_pages = true\n")
    build(root, "pdf")
    build(root, "handout")
    pages = pdf_pages(next(p for p in (root / "build").glob("*.pdf") if "handout" not in p.name))
    first = [i + 1 for i, text in enumerate(pages) if "longone" in text and "paragraph0" in text]
    second = [i + 1 for i, text in enumerate(pages) if "zebracrossing" in text]
    assert first and second and second[0] > first[0] + 1, "chapter 1 runs over pages"
    handout = next((root / "build").glob("*handout*.pdf"))
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(handout), "-"], capture_output=True, text=True
        ).stdout.split()
    )
    assert f"Briefing pp. {first[0]}–{second[0] - 1}" in text
    assert f"Briefing p. {second[0]}" in text


CORPUS = corpus_folder()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("source", "jobs"), [("rust-book", "1"), ("rust-book", "2"), ("pandoc-testsuite", "1")]
)
def test_a_long_book_markers_are_the_pdf_pages(tmp_path: Path, source: str, jobs: str) -> None:
    """Real books: chapters of the Rust book (pages that start mid-paragraph, in code, in
    tables, with figures), laid out in one process or in parallel parts, and pandoc's test
    document (lists, notes, math, raw HTML): the ebook reuses the record either build leaves."""
    if not (CORPUS / source).is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    root = tmp_path / source
    made = subprocess.run(
        [sys.executable, str(CORPUS / "make_project.py"), str(CORPUS / source), str(root)],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    build(root, "pdf", "--jobs", jobs)
    records = list((root / "build" / ".cache" / "pages").glob("*.json"))
    assert len(records) == 1, "the PDF build records where its pages start"
    stamp = records[0].stat().st_mtime_ns
    build(root, "epub")
    assert records[0].stat().st_mtime_ns == stamp, "the ebook used the PDF's record"
    pdf = next((root / "build").glob("*.pdf"))
    epub = next((root / "build").glob("*.epub"))
    labels = [int(n) for n in check_agreement(epub, pdf)]
    count = len(pdf_pages(pdf))
    chapter_pages = count - labels[0] + 1
    # (a page left blank has no marker: pandoc's raw HTML chapter makes one)
    assert len(labels) >= 0.9 * chapter_pages, f"pages without a marker: {labels}"
    assert labels[-1] == count
    if jobs == "1":  # pages that start mid-paragraph, in code and in tables pass EPUBCheck
        from build_report.ebook.epubcheck import run_epubcheck

        assert run_epubcheck(epub, shown=epub.name) == []


@pytest.mark.slow
def test_epubcheck_accepts_the_page_breaks(tmp_path: Path) -> None:
    """The markers, the page-list and the package's pageBreakSource: no error, no warning."""
    from build_report.ebook.epubcheck import run_epubcheck

    root = briefing(tmp_path / "briefing")
    build(root, "epub")
    epub = next((root / "build").glob("*.epub"))
    docs, _, _ = epub_documents(epub)
    assert docs["nav.xhtml"].find(".//x:nav[@epub:type='page-list']//x:a", NS) is not None
    assert run_epubcheck(epub, shown=epub.name) == []


def test_all_lays_the_book_out_once(tmp_path: Path, monkeypatch) -> None:
    """`all` writes the PDF before it makes the ebook, which then takes its pages from the
    PDF's record: the ebook's own layout is never called."""
    import build_report.pdf.adapter as adapter

    def refused(*args, **kwargs):
        raise AssertionError("the ebook laid the book out again")

    monkeypatch.setattr(adapter, "lay_out_pages", refused)
    root = briefing(tmp_path / "briefing")
    build(root, "all")
    pdf = next(p for p in (root / "build").glob("*.pdf") if "handout" not in p.name)
    check_agreement(next((root / "build").glob("*.epub")), pdf)
