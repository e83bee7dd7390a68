"""One resolver for check and every renderer: a raw <img> beside its chapter, a same-chapter
#anchor, a link to an explicit id and to a raw <a id>, found by check and by the builds alike."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from tests.conftest import Project, new_project, run

CHAPTER = """\
---
title: Links
---

## Method of work

<img src="img/dot.png" alt="A dot">

![Also a dot](img/dot.png)

Go to [the method](#method-of-work), to [the marked paragraph](#marked) and
to [the raw anchor](#raw-anchor), or [back to the top](#ch-links).

<a id="raw-anchor"></a>Here is the raw anchor.

{#marked}
A paragraph with an explicit id.

See [the other chapter's section](02-other.md#far-section).
"""


@pytest.fixture
def linked(tmp_path: Path) -> Project:
    from PIL import Image

    book = new_project(tmp_path / "book")
    book.write("chapters/01-links.md", CHAPTER)
    book.write("chapters/02-other.md", "---\ntitle: Other\n---\n\n## Far section\n\nFar.\n")
    (book.root / "chapters" / "img").mkdir()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(book.root / "chapters" / "img" / "dot.png")
    return book


def pdf_links(path: Path) -> list[tuple[int, int]]:
    """(page of the link, page it lands on) for every internal link."""
    reader = PdfReader(path)
    dests = {
        str(k): reader.get_destination_page_number(v) for k, v in reader.named_destinations.items()
    }
    found = []
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots", []) or []:
            annot = annot.get_object()
            dest = annot.get("/Dest") or (annot.get("/A") or {}).get("/D")
            if dest is not None:
                found.append((number, dests.get(str(dest), -1)))
    return found


def test_check_and_builds_agree_when_everything_resolves(linked: Project) -> None:
    result = run("check", "-C", linked.root)
    assert result.exit_code == 0, result.output
    assert "check: 0 error(s), 0 warning(s)" in result.output

    out = linked.root / "b.pdf"
    result = linked.build("pdf", "-o", out)
    assert result.exit_code == 0 and "warning" not in result.output, result.output
    links = pdf_links(out)
    assert len(links) >= 5 and all(target >= 0 for _, target in links), links
    images = [
        obj
        for page in PdfReader(out).pages
        for obj in (page["/Resources"].get("/XObject") or {}).values()
        if obj.get_object().get("/Subtype") == "/Image"
    ]
    assert images  # the image was found and embedded
    html = linked.root / "print.html"
    assert linked.build("pdf", "--emit-html", html, "-o", out).exit_code == 0
    assert html.read_text().count('src="chapters/img/dot.png"') == 2  # raw <img> and Markdown

    epub = linked.root / "b.epub"
    result = linked.build("epub", "-o", epub)
    assert result.exit_code == 0 and "warning" not in result.output, result.output
    with zipfile.ZipFile(epub) as archive:
        doc = etree.fromstring(archive.read("EPUB/links.xhtml"))
        assert "EPUB/chapters/img/dot.png" in archive.namelist()
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    hrefs = [a.get("href") for a in doc.iterfind(".//x:a", ns) if a.get("href")]
    ids = set(doc.xpath("//@id"))
    local = [h[1:] for h in hrefs if h.startswith("#")]
    assert {"links--method-of-work", "marked", "raw-anchor", "ch-links"} <= set(local)
    assert all(ident in ids for ident in local)
    assert "other.xhtml#other--far-section" in hrefs
    srcs = [i.get("src") for i in doc.iterfind(".//x:img", ns)]
    assert srcs == ["chapters/img/dot.png", "chapters/img/dot.png"]


def test_check_and_builds_report_the_same_broken_link(linked: Project) -> None:
    linked.write("chapters/01-links.md", CHAPTER + "\nAnd [nowhere](#no-such-place).\n")
    expected = "chapters/01-links.md:21: warning: link to #no-such-place: no such anchor"
    checked = run("check", "-C", linked.root)
    built = linked.build("pdf", "-o", linked.root / "c.pdf")
    epub = linked.build("epub", "-o", linked.root / "c.epub")
    assert expected in checked.output
    assert expected in built.output and built.exit_code == 0
    assert expected in epub.output and epub.exit_code == 0
    strict = linked.build("pdf", "--strict", "-o", linked.root / "d.pdf")
    assert strict.exit_code == 1 and "no-such-place" in strict.output


def test_a_missing_raw_image_is_a_warning_in_check_and_build(linked: Project) -> None:
    """As pandoc and Quarto do: a placeholder and a warning naming file:line; an error under
    --strict."""
    (linked.root / "chapters" / "img" / "dot.png").rename(linked.root / "dot.png")
    checked = run("check", "-C", linked.root)
    assert checked.exit_code == 0
    assert "chapters/01-links.md:7: warning: image img/dot.png not found" in checked.output
    built = linked.build("pdf", "-o", linked.root / "e.pdf")
    assert built.exit_code == 0 and "chapters/01-links.md:7: warning: image img/dot.png" in (
        built.output
    )
    strict = linked.build("pdf", "--strict", "-o", linked.root / "f.pdf")
    assert strict.exit_code == 1 and "chapters/01-links.md:7" in strict.output
    assert not (linked.root / "f.pdf").exists()


def test_an_image_through_a_file_url_is_an_error(linked: Project, tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"png")
    linked.write("chapters/02-more.md", f"---\ntitle: More\n---\n\n![x](file://{tmp_path}/x.png)\n")
    for command in ("pdf", "html", "epub"):
        built = linked.build(command, "-o", linked.root / f"out-{command}")
        assert built.exit_code == 1, built.output
        assert "chapters/02-more.md:5" in built.output and "scheme is not allowed" in built.output
