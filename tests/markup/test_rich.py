"""Rich blocks (issue 15): callouts, highlighted code and math, in the PDF and the EPUB.

The fixture `tests/fixtures/rich` holds every construct; it is built once per module to each
output and its documents are opened and read."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import REPO, Project, normalize, run

FIXTURE = Path(__file__).parent.parent / "fixtures" / "rich"
NS = {"h": "http://www.w3.org/1999/xhtml", "m": "http://www.w3.org/1998/Math/MathML"}
LABELS = ["Note", "Tip", "Important", "Warning", "Caution", "Activity", "Vocabulary"]
LABELS += ["Think about it", "Key idea"]


def rich_project(root: Path) -> Project:
    shutil.copytree(FIXTURE, root)
    shutil.copytree(REPO / "styles", root / "styles")
    return Project(root)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Project:
    book = rich_project(tmp_path_factory.mktemp("rich") / "book")
    result = book.build("pdf", "-o", book.root / "rich.pdf")
    assert result.exit_code == 0, result.output
    return book


@pytest.fixture(scope="module")
def pages(built: Project) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(built.root / "rich.pdf").pages]


def test_check_is_clean(built: Project) -> None:
    result = run("check", "-C", built.root)
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


def test_no_markup_or_tex_is_left_in_the_pdf(pages: list[str]) -> None:
    text = "\n".join(pages)
    assert "[!" not in text
    assert ":::" not in text
    assert "$" not in text
    assert not re.findall(r"\\[A-Za-z]+|\\[()\[\]]", text)
    assert "{#eq" not in text and "@eq-" not in text


def test_callouts_are_labelled_in_words(pages: list[str]) -> None:
    text = normalize("".join(pages)).lower()
    for label in LABELS:
        assert normalize(label).lower() in text, label
    assert "checkthedates" in text  # the title given in the fence
    assert "answersareatthebackofthebook" not in text  # a teacher callout, student edition


def test_code_keyword_and_name_differ(built: Project) -> None:
    import pdfplumber

    with pdfplumber.open(built.root / "rich.pdf") as pdf:
        chars = [c for page in pdf.pages for c in page.chars]
    text = "".join(c["text"] for c in chars)
    at = text.index("defarea(")
    keyword, name = chars[at], chars[at + 3]  # "d" of def, "a" of area
    assert "JetBrains" in keyword["fontname"] and "JetBrains" in name["fontname"]
    style = (keyword["fontname"], keyword["non_stroking_color"])
    assert style != (name["fontname"], name["non_stroking_color"])
    assert "Bold" in keyword["fontname"]  # weight, not colour alone: greyscale-safe
    comment = chars[text.index("# pi times") + 2]
    assert "Italic" in comment["fontname"]


def test_long_code_splits_without_a_blank(pages: list[str]) -> None:
    """A listing taller than a page starts right after its lead-in, not on a fresh page."""
    start = next(i for i, p in enumerate(pages) if "Before the long listing" in p)
    assert "value_0 = compute" in pages[start]
    assert "value_89" in "".join(pages[start + 1 :])


def test_equation_reference_reads_equation_1(pages: list[str]) -> None:
    text = " ".join("\n".join(pages).split())
    assert "given by Equation 1." in text
    assert "numbered one, Equation 2:" in text
    assert "(1)" in text and "(2)" in text


@pytest.fixture(scope="module")
def epub(tmp_path_factory) -> Path:
    book = rich_project(tmp_path_factory.mktemp("rich-epub") / "book")
    out = book.root / "rich.epub"
    result = book.build("epub", "--edition", "teacher", "--check", "-o", out)
    assert result.exit_code == 0, result.output
    assert "EPUBCheck: no errors or warnings" in result.output
    return out


def _document(epub: Path, suffix: str) -> etree._Element:
    with zipfile.ZipFile(epub) as archive:
        name = next(n for n in archive.namelist() if n.endswith(suffix))
        return etree.fromstring(archive.read(name))


@pytest.mark.slow
def test_epub_has_mathml_with_alttext(epub: Path) -> None:
    root = _document(epub, "/math.xhtml")
    maths = root.xpath("//m:math", namespaces=NS)
    assert len(maths) >= 6
    assert all(m.get("alttext") for m in maths)
    assert root.xpath("//m:math[@alttext='A = \\pi r^2' and @display='block']", namespaces=NS)
    refs = root.xpath("//h:a[@class='eq-ref']", namespaces=NS)
    assert [r.text for r in refs] == ["Equation 1", "Equation 2"]
    assert [r.get("href") for r in refs] == ["#eq-area", "#eq-sum"]
    opf = _document(epub, ".opf")
    items = opf.xpath("//*[local-name()='item' and @href='math.xhtml']")
    assert "mathml" in items[0].get("properties").split()


@pytest.mark.slow
def test_epub_callouts_are_asides_in_words(epub: Path) -> None:
    root = _document(epub, "/blocks.xhtml")
    asides = root.xpath("//h:aside[@role='note']", namespaces=NS)
    kinds = [a.xpath("string(.//h:span[@class='callout-kind'])", namespaces=NS) for a in asides]
    for label in LABELS:
        assert label in kinds
    teacher = root.xpath("//h:aside[contains(@class, 'callout-teacher')]", namespaces=NS)
    assert len(teacher) == 1 and "For teachers" in "".join(teacher[0].itertext())
    assert root.xpath("//h:pre[contains(@class, 'code')]//h:span[@class='k']", namespaces=NS)


def test_check_reports_every_rich_problem(tmp_path: Path) -> None:
    book = rich_project(tmp_path / "book")
    book.write(
        "chapters/04-bad.md",
        """\
        ---
        title: Bad
        ---

        ::: {.callout-hint}
        Not a kind.
        :::

        $$ x = 1 $$ {#eq-area}

        See @eq-missing and $\\frac{a}{$.
        """,
    )
    result = run("check", "-C", book.root)
    assert result.exit_code == 1, result.output
    out = result.output
    assert re.search(r"04-bad\.md:5: warning: unknown callout kind 'hint'", out), out
    assert re.search(r"04-bad\.md:9: error: duplicate equation id 'eq-area'", out), out
    assert re.search(r"04-bad\.md:11: error: reference to a missing equation @eq-missing", out)
    assert re.search(r"04-bad\.md:11: error: LaTeX error", out), out
    pdf = book.build("pdf", "-o", book.root / "bad.pdf")
    assert pdf.exit_code == 1 and "LaTeX error" in pdf.output


def test_math_is_kept_from_the_typographer_and_escapes() -> None:
    from build_report.markup.parser import parse

    tokens, _ = parse("Text $a*b*c$ and $a -- b$ and \\(x \\; y\\) and $5 or $10.\n", "x")
    children = tokens[1].children
    maths = [c.content for c in children if c.type == "math_inline"]
    assert maths == ["a*b*c", "a -- b", "x \\; y"]
    assert "$5 or $10." in "".join(c.content for c in children if c.type == "text")


def test_code_options_and_wrapping_marks() -> None:
    from build_report.markup.code import code_html, fence_options

    assert fence_options("python {.numberLines startFrom=9}") == ("python", True, 9)
    assert fence_options("{.rust .number-lines}") == ("rust", True, 1)
    assert fence_options("js") == ("js", False, 1)
    html = code_html(
        "if x:\n        y = 'a very long string that will have to wrap somewhere'\n",
        "python {.numberLines}",
    )
    root = etree.fromstring(html)
    lines = root.xpath("//span[@class='code-line']")
    assert len(lines) == 2
    assert "padding-left:12ch" in lines[1].get("style")  # its 8 columns + 4 hanging
    assert lines[1].xpath("span[@class='code-wrap']") and not lines[0].xpath(
        "span[@class='code-wrap']"
    )
    assert [n.text for n in root.xpath("//span[@class='code-ln']")] == ["1", "2"]
