"""GitHub Markdown as READMEs write it: task lists, bare links, strikethrough, <details>,
alerts, and pandoc's sub/superscripts beside them."""

from __future__ import annotations

import zipfile

import pdfplumber
import pytest
from lxml import etree
from pypdf import PdfReader

from tests.conftest import Project
from tests.pdf_checks import notdef_characters

README = """\
# Project

- [ ] write the docs
- [x] ship the code

See https://example.org/docs for more, and ~~old~~ new. Water is H~2~O, area is m^2^.

<details>
<summary>Build from source</summary>

Run the *installer* first.
</details>

> [!WARNING]
> Back up your data.
"""


@pytest.fixture
def readme(project: Project) -> Project:
    project.write("chapters/01-first.md", README)
    return project


def test_github_markdown_in_print(readme: Project) -> None:
    out = readme.root / "a.pdf"
    result = readme.build("pdf", "-o", out)
    assert result.exit_code == 0, result.output
    with pdfplumber.open(out) as pdf:
        page = next(p for p in pdf.pages if "ship the code" in (p.extract_text() or ""))
        text = page.extract_text()
        words = {w["text"]: w for w in page.extract_words()}
        boxes = [
            r
            for r in page.rects + page.curves + page.lines
            if r["x1"] < words["write"]["x0"] and abs(r["top"] - words["write"]["top"]) < 8
        ]
    assert boxes, "the task box is drawn before its text"
    for expected in ("Build from source", "Run the installer first.", "Back up your data."):
        assert expected in text, text
    assert "WARNING" in text.upper() and "[!WARNING]" not in text
    assert "[ ]" not in text and "[x]" not in text and "~" not in text and "^" not in text
    uris = [
        str(a.get_object()["/A"]["/URI"])
        for p in PdfReader(out).pages
        for a in p.get("/Annots") or []
        if "/A" in a.get_object()
    ]
    assert "https://example.org/docs" in uris


def test_github_markdown_in_the_ebook(readme: Project) -> None:
    out = readme.root / "b.epub"
    result = readme.build("epub", "-o", out)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        name = next(n for n in archive.namelist() if n.endswith("first.xhtml"))
        root = etree.fromstring(archive.read(name))
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    boxes = root.xpath("//h:li/h:span[contains(@class, 'task-box')]", namespaces=ns)
    assert [b.get("aria-label") for b in boxes] == ["not done", "done"]
    assert root.xpath("//h:details/h:summary/text()", namespaces=ns) == ["Build from source"]
    assert root.xpath("//h:aside[contains(@class, 'callout-warning')]", namespaces=ns)
    assert root.xpath("//h:a[@href='https://example.org/docs']", namespaces=ns)
    assert root.xpath("//h:s/text()", namespaces=ns) == ["old"]
    assert root.xpath("//h:sub/text()", namespaces=ns) == ["2"]
    assert root.xpath("//h:sup/text()", namespaces=ns) == ["2"]


@pytest.mark.slow
def test_github_markdown_passes_epubcheck(readme: Project) -> None:
    result = readme.build("epub", "--check", "-o", readme.root / "c.epub")
    assert result.exit_code == 0, result.output
    assert "EPUBCheck: no errors or warnings" in result.output


def test_emoji_shortcodes_become_emoji_with_a_glyph_in_every_output(project: Project) -> None:
    project.write(
        "chapters/01-first.md",
        "# Launch :rocket:\n\nWe ship :rocket: today ✅, `:rocket:` stays. "
        "GitHub's own :octocat: and the time 10:30:45 stay as written.\n",
    )
    out = project.root / "e.epub"
    assert project.build("epub", "-o", out).exit_code == 0
    with zipfile.ZipFile(out) as archive:
        text = archive.read(next(n for n in archive.namelist() if n.endswith("first.xhtml")))
        fonts = [n for n in archive.namelist() if "NotoEmoji" in n]
    assert "We ship 🚀 today ✅" in text.decode() and "<code>:rocket:</code>" in text.decode()
    assert fonts, "the ebook carries the emoji face (cut down) for its emoji"
    pdf = project.root / "p.pdf"
    result = project.build("pdf", "-o", pdf)
    assert result.exit_code == 0 and "no font" not in result.output, result.output
    reader = PdfReader(pdf)
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "We ship 🚀 today ✅" in text and ":rocket: stays" in text
    assert ":octocat:" in text and "10:30:45" in text
    assert "Launch 🚀" in [item.title for item in reader.outline if not isinstance(item, list)]
    assert not notdef_characters(pdf), "every emoji is drawn, none as an empty box"
    fonts = {f["/BaseFont"] for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert any(name.endswith("+Noto-Emoji") for name in fonts), fonts


def test_every_output_of_all_draws_the_emoji(project: Project) -> None:
    """`all` lays out its PDFs in processes forked from one warm process: a face one of them
    loads (the emoji, needed by the book and the handouts alike) is drawn by each of them."""
    project.write(
        "chapters/01-first.md", "# Launch\n\nWe ship :rocket: today ✅ and :tada: after.\n"
    )
    result = project.build("all")
    assert result.exit_code == 0, result.output
    pdfs = sorted((project.root / "build").glob("*.pdf"))
    assert len(pdfs) == 3, pdfs  # the book, and the student's and the teacher's handout
    for pdf in pdfs:
        text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
        assert "🚀 today ✅" in text, pdf.name
        assert not notdef_characters(pdf), f"{pdf.name}: an emoji drawn as an empty box"


def test_image_size_attributes_size_the_image_in_print(project: Project) -> None:
    from PIL import Image

    Image.new("RGB", (400, 200), "navy").save(project.root / "chapters" / "box.png")
    project.write(
        "chapters/01-first.md",
        '# Sizes\n\n![half](box.png){width=50%}\n\n<img src="box.png" alt="small" width="80">\n\n'
        + "A line of words long enough to fill the text column from edge to edge. " * 4
        + "\n",
    )
    out = project.root / "s.pdf"
    assert project.build("pdf", "-o", out).exit_code == 0
    with pdfplumber.open(out) as pdf:
        images = [i for p in pdf.pages for i in p.images]
        lines = [line for page in pdf.pages for line in page.extract_text_lines()]
        text_width = max(line["x1"] - line["x0"] for line in lines if "column" in line["text"])
    widths = sorted(round(i["x1"] - i["x0"]) for i in images)
    assert len(widths) == 2, widths
    assert abs(widths[0] - 60) <= 2  # 80 CSS px = 60 pt
    assert abs(widths[1] - text_width / 2) <= 3, (widths, text_width)
