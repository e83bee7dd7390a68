"""HTML folder and EPUB 3: well-formed XHTML, package metadata, zip layout, and EPUBCheck."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from build_report.ebook.epubcheck import run_epubcheck
from lxml import etree

from tests.conftest import REPO, TITLES, Project, new_project, run

NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
}
RICH_CHAPTER = """\
---
title: Rich Chapter
key_points: ["A *point* with \\"quotes\\""]
---

Text with a footnote[^a] and an inline one.^[Inline note with a [link](02-other.md#target-section).]
See [the other chapter](02-other.md) and [its section](02-other.md#target-section).

[^a]: The first note, with *emphasis*.

| Year | Event |
|-----:|-------|
| 2017 | Hamburg |
| 2018 | Helsinki |

![A small square](img/square.png)

![](img/square.png)

<div class="raw"><p>Raw <b>bold<br>line
<span>unclosed inline
</div>

Inline <abbr title="North Atlantic Treaty Organization">NATO</abbr> html<br>break & ampersand.
<script>alert("no")</script>

```python
def hello() -> None:
    print("<hello> & goodbye")
```

- one
  - nested *a*
  - nested b
    1. deeper
- two

Term
: Definition of the term.

> A quotation.

Links that lead nowhere in an ebook: [a file](notes.md), [an anchor](#nowhere).
<span id="dup">one</span> <span id="dup">two</span> <span id="1 bad id">three</span>
"""
OTHER_CHAPTER = """\
---
title: Other Chapter
---

## Target Section

Back to [the rich chapter](01-rich.md).

### A third level
"""


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> Project:
    from PIL import Image

    book = new_project(tmp_path_factory.mktemp("rich") / "book")
    root = book.root
    book.write("chapters/01-rich.md", RICH_CHAPTER)
    book.write("chapters/02-other.md", OTHER_CHAPTER)
    (root / "chapters" / "img").mkdir()
    Image.new("RGB", (40, 40), (31, 51, 80)).save(root / "chapters" / "img" / "square.png")
    return book


@pytest.fixture(scope="module")
def rich_epub(rich: Project) -> Path:
    result = rich.build("epub")
    assert result.exit_code == 0, result.output
    return rich.root / "build" / "fixture-book.epub"


@pytest.fixture(scope="module")
def default_epub(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("epub") / "briefing.epub"
    result = run("epub", "-C", REPO, "-o", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
def test_default_briefing_passes_epubcheck(tmp_path: Path) -> None:
    result = run("epub", "-C", REPO, "-o", tmp_path / "b.epub", "--check")
    assert result.exit_code == 0, result.output
    assert "EPUBCheck: no errors or warnings" in result.output


def xml(archive: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(archive.read(name))


def package(archive: zipfile.ZipFile) -> tuple[str, etree._Element]:
    container = xml(archive, "META-INF/container.xml")
    path = container.find(".//c:rootfile", NS).get("full-path")
    return path, xml(archive, path)


def test_zip_layout(default_epub: Path) -> None:
    with zipfile.ZipFile(default_epub) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED and first.extra == b""
        assert archive.read("mimetype") == b"application/epub+zip"
        path, opf = package(archive)
        assert path.endswith(".opf") and path in archive.namelist()
        with default_epub.open("rb") as raw:  # the bytes readers sniff for
            assert raw.read(58)[30:58] == b"mimetypeapplication/epub+zip"


def test_package_metadata(default_epub: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(default_epub) as archive:
        _, opf = package(archive)
    assert opf.get("version") == "3.0"
    meta = opf.find("opf:metadata", NS)
    assert meta.findtext("dc:title", namespaces=NS) == (
        "Trump & Putin: The Complex Relationship Examined"
    )
    assert meta.findtext("dc:creator", namespaces=NS) == "Marco"
    assert meta.findtext("dc:language", namespaces=NS) == "en-US"
    ident = meta.findtext("dc:identifier", namespaces=NS)
    assert ident.startswith("urn:uuid:")
    props = {}
    for node in meta.findall("opf:meta", NS):
        if node.get("property"):
            props.setdefault(node.get("property"), []).append(node.text)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", props["dcterms:modified"][0])
    for key in (
        "schema:accessMode",
        "schema:accessModeSufficient",
        "schema:accessibilityFeature",
        "schema:accessibilityHazard",
        "schema:accessibilitySummary",
    ):
        assert props.get(key), key
    # The identifier is derived from the config: the same at every build.
    again = tmp_path / "again.epub"
    assert run("epub", "-C", REPO, "-o", again).exit_code == 0
    with zipfile.ZipFile(again) as archive:
        _, opf2 = package(archive)
    assert opf2.findtext(".//dc:identifier", namespaces=NS) == ident


def test_identifier_differs_between_reports(rich_epub: Path, default_epub: Path) -> None:
    ids = []
    for path in (rich_epub, default_epub):
        with zipfile.ZipFile(path) as archive:
            ids.append(package(archive)[1].findtext(".//dc:identifier", namespaces=NS))
    assert ids[0] != ids[1]


def test_nav_lists_the_chapters_in_order(default_epub: Path) -> None:
    with zipfile.ZipFile(default_epub) as archive:
        path, opf = package(archive)
        base = path.rsplit("/", 1)[0]
        nav_item = opf.find(".//opf:item[@properties='nav']", NS)
        nav = xml(archive, f"{base}/{nav_item.get('href')}")
        toc = nav.find(".//x:nav[@epub:type='toc']", NS)
        entries = toc.findall("x:ol/x:li/x:a", NS)
        assert [a.text for a in entries] == TITLES
        for a in entries:  # every entry points at a document in the spine
            assert f"{base}/{a.get('href')}" in archive.namelist()
        spine = [i.get("idref") for i in opf.findall(".//opf:itemref", NS)]
        hrefs = {i.get("id"): i.get("href") for i in opf.findall(".//opf:item", NS)}
        chapters = [hrefs[i] for i in spine][2:]
        assert chapters == [a.get("href") for a in entries]
        landmarks = nav.find(".//x:nav[@epub:type='landmarks']", NS)
        kinds = [a.get(f"{{{NS['epub']}}}type") for a in landmarks.iter(f"{{{NS['x']}}}a")]
        assert {"cover", "toc", "bodymatter"} <= set(kinds)


def test_every_content_document_is_xhtml(default_epub: Path, rich_epub: Path) -> None:
    for path in (default_epub, rich_epub):
        with zipfile.ZipFile(path) as archive:
            docs = [n for n in archive.namelist() if n.endswith(".xhtml")]
            assert len(docs) >= 4
            for name in docs:
                root = xml(archive, name)
                assert root.tag == f"{{{NS['x']}}}html"
                assert root.get("lang") and root.get("{http://www.w3.org/XML/1998/namespace}lang")
                assert not root.findall(".//x:script", NS)


def test_cover_image(default_epub: Path) -> None:
    with zipfile.ZipFile(default_epub) as archive:
        path, opf = package(archive)
        base = path.rsplit("/", 1)[0]
        cover = opf.find(".//opf:item[@properties='cover-image']", NS)
        svg = xml(archive, f"{base}/{cover.get('href')}")
        text = " ".join(svg.itertext())
        assert "Marco" in text and "Briefing".upper() in text


def chapter_doc(epub: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(epub) as archive:
        path, _ = package(archive)
        return xml(archive, f"{path.rsplit('/', 1)[0]}/{name}")


def test_footnotes_are_epub3_footnotes(rich_epub: Path) -> None:
    doc = chapter_doc(rich_epub, "rich.xhtml")
    refs = doc.findall(".//x:a[@epub:type='noteref']", NS)
    notes = doc.findall(".//x:aside[@epub:type='footnote']", NS)
    assert len(refs) == 2 and len(notes) == 2
    ids = {n.get("id") for n in notes}
    assert {r.get("href").lstrip("#") for r in refs} == ids
    for note in notes:
        back = note.find(".//x:a[@epub:type='backlink']", NS)
        assert back is not None
        assert doc.find(f".//*[@id='{back.get('href').lstrip('#')}']") is not None
    assert "emphasis" in "".join(notes[0].itertext())


def test_links_between_chapters(rich_epub: Path) -> None:
    doc = chapter_doc(rich_epub, "rich.xhtml")
    other = chapter_doc(rich_epub, "other.xhtml")
    hrefs = [a.get("href") for a in doc.iter(f"{{{NS['x']}}}a") if "other" in a.get("href", "")]
    assert "other.xhtml#other--target-section" in hrefs and "other.xhtml#ch-other" in hrefs
    for href in hrefs:
        if "#" in href and "pager" not in href:
            fragment = href.split("#", 1)[1]
            assert other.find(f".//*[@id='{fragment}']") is not None, href
    back = [a.get("href") for a in other.iter(f"{{{NS['x']}}}a")]
    assert "rich.xhtml#ch-rich" in back


def test_raw_html_is_well_formed_and_safe(rich_epub: Path) -> None:
    doc = chapter_doc(rich_epub, "rich.xhtml")
    text = etree.tostring(doc, encoding="unicode")
    assert "<br/>" in text and "&amp; ampersand" in text
    assert doc.find(".//x:abbr", NS).get("title") == "North Atlantic Treaty Organization"
    assert doc.find(".//x:div[@class='raw']", NS) is not None
    assert "alert" not in text
    assert doc.find(".//x:table", NS) is not None
    assert doc.find(".//x:pre/x:code", NS) is not None
    assert doc.find(".//x:ul/x:li/x:ul/x:li/x:ol", NS) is not None
    assert doc.find(".//x:dl/x:dd", NS) is not None
    key_point = doc.find(".//x:aside[@class='editorial key-points']//x:li", NS)
    assert "“quotes”" in "".join(key_point.itertext())


def test_dangling_links_are_dropped_with_a_warning(rich: Project, rich_epub: Path) -> None:
    doc = chapter_doc(rich_epub, "rich.xhtml")
    text = etree.tostring(doc, encoding="unicode")
    assert "a file" in text and 'href="notes.md"' not in text and "#nowhere" not in text
    result = rich.build("epub", "-o", rich.root / "links.epub")
    assert "chapters/01-rich.md:43: warning: link to notes.md: no chapter notes.md" in (
        result.output
    )
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids))


def test_images_are_packaged(rich_epub: Path) -> None:
    with zipfile.ZipFile(rich_epub) as archive:
        path, opf = package(archive)
        items = {i.get("href"): i.get("media-type") for i in opf.findall(".//opf:item", NS)}
        assert items["chapters/img/square.png"] == "image/png"
        assert "styles/fonts/CharisSIL-Regular.ttf" in items
        for href in items:
            assert f"{path.rsplit('/', 1)[0]}/{href}" in archive.namelist()


def test_missing_alt_text_is_a_warning(rich: Project) -> None:
    result = rich.build("epub", "-o", rich.root / "w.epub")
    assert "chapters/01-rich.md: warning: image chapters/img/square.png has no alt text" in (
        result.output
    )
    strict = rich.build("epub", "--strict", "-o", rich.root / "strict.epub")
    assert strict.exit_code == 1


@pytest.mark.slow
def test_epubcheck_clean_for_the_rich_fixture(rich_epub: Path) -> None:
    assert run_epubcheck(rich_epub) == []


@pytest.mark.slow
def test_epubcheck_reports_real_problems(rich_epub: Path, tmp_path: Path) -> None:
    """The check is not a stub: a broken package yields errors with file and line."""
    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(rich_epub) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("other.xhtml"):
                data = data.replace(b"</body>", b"<p>unclosed</body>")
            dst.writestr(info, data)
    found = run_epubcheck(broken)
    assert any(d.level == "error" for d in found)
    assert any("other.xhtml" in d.path and d.line for d in found)
    result = run("epub", "-C", REPO, "-o", tmp_path / "ok.epub", "--check")
    assert result.exit_code == 0


def test_html_folder(rich: Project) -> None:
    result = rich.build("html")
    assert result.exit_code == 0, result.output
    folder = rich.root / "build" / "html"
    assert (folder / "index.xhtml").is_file() and (folder / "nav.xhtml").is_file()
    assert (folder / "styles" / "screen.css").is_file()
    assert (folder / "chapters" / "img" / "square.png").is_file()
    for doc in folder.rglob("*.xhtml"):
        root = etree.parse(str(doc)).getroot()
        for node in root.iter():
            for attr in ("href", "src"):
                value = node.get(attr)
                if value and not value.startswith(("https://", "http://", "mailto:")):
                    assert not value.startswith(("/", "file:")), (doc.name, value)
                    target = (doc.parent / value.split("#")[0]).resolve()
                    assert target.exists(), (doc.name, value)
        assert not root.findall(".//x:script", NS)
    css = (folder / "styles" / "screen.css").read_text()
    assert "@page" not in css


def test_html_rebuild_replaces_the_folder(rich: Project) -> None:
    folder = rich.root / "build" / "html"
    assert rich.build("html").exit_code == 0
    (folder / "stale.xhtml").write_text("old")
    assert rich.build("html").exit_code == 0
    assert not (folder / "stale.xhtml").exists()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".html")]


@pytest.mark.parametrize("command", ["html", "epub"])
def test_never_imports_weasyprint(command: str, tmp_path: Path) -> None:
    code = (
        "import sys; from click.testing import CliRunner; from build_report.cli import main; "
        f"r = CliRunner().invoke(main, ['{command}', '-C', sys.argv[1], '-o', sys.argv[2]]); "
        "assert r.exit_code == 0, r.output; print('weasyprint' in sys.modules)"
    )
    out = tmp_path / ("out" if command == "html" else "out.epub")
    done = subprocess.run(
        [sys.executable, "-c", code, str(REPO), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "False"
