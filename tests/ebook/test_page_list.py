"""The ebook's page breaks are the PDF's: the text after each page marker in the XHTML is on
that page of the PDF, the page-list leads to the markers in order, and the package says where
the page numbers come from (pages/record.py, ebook/pagebreaks.py)."""

from __future__ import annotations

import re
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
FOLLOWING = 24  # letters after a marker that must be on its page


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


def markers_in_order(docs, spine) -> list[tuple[str, str, str, str]]:
    """Every page marker in reading order: (document, id, the letters before and after it in
    its document)."""
    found = []
    for name in spine:
        root = docs[name]
        body = root.find("x:body", NS)
        text: list[tuple[etree._Element | None, str]] = []

        def walk(element):
            if element.get("role") == "doc-noteref":
                return  # a note's number: generated in print, not body text
            if element.get("role") == "doc-pagebreak":
                text.append((element, ""))
            elif element.text:
                text.append((None, element.text))
            for child in element:
                walk(child)
                if child.tail:
                    text.append((None, child.tail))

        walk(body)
        for i, (marker, _) in enumerate(text):
            if marker is None:
                continue
            before = normalize("".join(t for m, t in text[:i] if m is None))
            after = normalize("".join(t for m, t in text[i + 1 :] if m is None))
            found.append((name, marker.get("id"), before[-FOLLOWING:], after[:FOLLOWING]))
    return found


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
        assert after in pages[int(label) - 1], (
            f"{name}: the text after page {label}'s marker, {after!r}, is not on PDF page {label}"
        )
        if before:  # and the marker is not late: what comes before it is on the page before
            assert before in pages[int(label) - 2], (
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
    assert entries == [(label, f"{n}#{i}") for (n, i, _, _), label in zip(markers, labels)]
    # and the package says where the page breaks come from
    meta = package.find(".//opf:meta[@property='pageBreakSource']", NS)
    assert meta is not None and meta.text.startswith("urn:uuid:")
    features = {m.text for m in package.iterfind(".//opf:meta", NS)
                if m.get("property") == "schema:accessibilityFeature"}
    assert {"pageBreakMarkers", "pageNavigation"} <= features
    return labels


def test_briefing_markers_are_the_pdf_pages(tmp_path: Path) -> None:
    root = briefing(tmp_path / "briefing")
    build(root, "pdf")
    records = list((root / "build" / ".cache" / "pages").glob("*.json"))
    assert len(records) == 1, "the PDF build records where its pages start"
    build(root, "epub")
    pdf = next((root / "build").glob("*.pdf"))
    epub = next((root / "build").glob("*.epub"))
    labels = check_agreement(epub, pdf)
    count = len(pdf_pages(pdf))
    chapter_pages = [i + 1 for i, text in enumerate(pdf_pages(pdf)) if "chapter1" in text]
    # every page from the first chapter's on has its marker; cover, contents, summary none
    assert [int(n) for n in labels] == list(range(chapter_pages[0], count + 1))


CORPUS = corpus_folder()


@pytest.mark.slow
@pytest.mark.skipif(not (CORPUS / "rust-book").is_dir(), reason=f"no corpus at {CORPUS}")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_long_book_markers_are_the_pdf_pages(tmp_path: Path, jobs: str) -> None:
    """A long book (chapters of the Rust book: pages that start mid-paragraph, in code, in
    tables, with figures), laid out in one process or in parallel parts: the ebook reuses the
    record either build leaves."""
    root = tmp_path / "rust"
    made = subprocess.run(
        [sys.executable, str(CORPUS / "make_project.py"), str(CORPUS / "rust-book"), str(root)],
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
    assert len(labels) >= 0.95 * chapter_pages, f"pages without a marker: {labels}"
    assert labels[-1] == count
