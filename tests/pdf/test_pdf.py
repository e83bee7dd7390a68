"""The default briefing, built once, read back with pypdf: structure, text, fonts, metadata."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from tests.conftest import REPO, SEED, TITLES, normalize, run

REPORT_TITLE = "Trump & Putin: The Complex Relationship Examined"
FOOTER = re.compile(r"^page (\d+) of (\d+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def reader(default_pdf: Path) -> PdfReader:
    return PdfReader(default_pdf)


def printed_page_number(reader: PdfReader, index: int) -> int:
    """The number in the footer of page `index` (0-based), as a reader sees it printed."""
    found = FOOTER.findall(reader.pages[index].extract_text())
    assert len(found) == 1, f"page {index + 1} has no single footer"
    return int(found[0][0])


def body_text(reader: PdfReader) -> str:
    """All page text without running heads and footers."""
    kept = []
    for page in reader.pages:
        for line in page.extract_text().splitlines():
            if FOOTER.match(line.strip()) or line.startswith(REPORT_TITLE):
                continue
            kept.append(line)
    return "\n".join(kept)


def test_metadata(reader: PdfReader) -> None:
    meta = reader.metadata
    assert meta.title == REPORT_TITLE
    assert meta.author == "Marco"
    assert "Vladimir Putin" in meta.subject
    assert "Putin" in meta["/Keywords"] and "Russia" in meta["/Keywords"]
    assert meta.creation_date is not None
    assert reader.trailer["/Root"]["/Lang"] == "en-US"


def test_outline_is_the_summary_and_the_six_chapters_in_order(reader: PdfReader) -> None:
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == ["Summary", *TITLES]
    pages = [reader.get_destination_page_number(item) for item in top]
    assert pages == sorted(pages) and len(set(pages)) == 7


def test_contents_page_numbers_match_printed_numbers(reader: PdfReader) -> None:
    contents = reader.pages[1].extract_text()
    assert contents.startswith("Contents")
    outline = {item.title: item for item in reader.outline if not isinstance(item, list)}
    for number, title in enumerate(TITLES, start=1):
        found = re.search(rf"^{number} {re.escape(title)}[ .]*?(\d+)$", contents, re.MULTILINE)
        assert found, f"{title} missing from contents"
        listed = int(found.group(1))
        start_index = reader.get_destination_page_number(outline[title])
        assert title in reader.pages[start_index].extract_text()
        assert printed_page_number(reader, start_index) == listed, title


def test_contents_entries_are_links_to_their_chapters(reader: PdfReader) -> None:
    links = [a.get_object() for a in reader.pages[1].get("/Annots", [])]
    targets = {str(link["/Dest"]) for link in links if link.get("/Subtype") == "/Link"}
    assert len(targets) == 6
    named = reader.named_destinations
    outline_pages = [
        reader.get_destination_page_number(item)
        for item in reader.outline
        if not isinstance(item, list) and item.title in TITLES
    ]
    target_pages = sorted(reader.get_destination_page_number(named[t]) for t in targets)
    assert target_pages == outline_pages


def test_running_head_and_footer(reader: PdfReader) -> None:
    """No furniture on the cover; every chapter page carries the report and chapter titles."""
    cover = reader.pages[0].extract_text()
    assert "page 1" not in cover and "Briefing".upper() in cover.upper()
    starts = [
        reader.get_destination_page_number(item)
        for item in reader.outline
        if not isinstance(item, list) and item.title in TITLES
    ]
    total = len(reader.pages)
    for index in range(1, total):
        assert f"page {index + 1} of {total}" in reader.pages[index].extract_text()
    # Chapters may follow on (chapter_break = "none"): a page's head names the chapter that
    # is current at its top, or the first that starts on it.
    for index in range(starts[0], total):
        text = reader.pages[index].extract_text()
        head = [line for line in text.splitlines() if line.startswith(REPORT_TITLE)]
        here = [t for t, s in zip(TITLES, starts, strict=True) if s <= index]
        assert head and any(head[0].endswith(t) for t in here[-2:]), (index, head)


def test_every_source_paragraph_is_present(reader: PdfReader) -> None:
    source = SEED.read_text(encoding="utf-8").split("\n\n")
    paragraphs = [p.strip() for p in source[2:] if len(p.split()) > 8]
    assert len(paragraphs) == 8
    text = normalize(body_text(reader))
    # A pull quote repeats a sentence beside the text: the PDF's text order may put it
    # in the middle of a paragraph, so it is taken out first.
    for path in sorted((REPO / "chapters").glob("*.md")):
        body = path.read_text(encoding="utf-8")
        for quote in re.findall(r"^::: pullquote\n(.+?)\n:::$", body, re.M | re.S):
            text = text.replace(normalize(quote), "", 1)
    for paragraph in paragraphs:
        assert normalize(paragraph) in text, paragraph[:60]


def test_view_counter_is_absent(reader: PdfReader) -> None:
    text = "".join(page.extract_text() for page in reader.pages)
    assert "49 views" not in text and not re.search(r"\d+\s+views", text)


def test_cover_shows_label_title_author(reader: PdfReader) -> None:
    cover = normalize(reader.pages[0].extract_text())
    for part in ("Briefing", REPORT_TITLE, "Marco"):
        assert normalize(part) in cover


def _our_font_names() -> set[str]:
    names = set()
    for path in (REPO / "styles" / "fonts").glob("*.[ot]tf"):
        table = TTFont(path, lazy=True)["name"]
        for name_id in (1, 4, 6):
            names.add(normalize(table.getDebugName(name_id) or ""))
    return names


def test_every_embedded_font_is_vendored(reader: PdfReader) -> None:
    ours = _our_font_names()
    embedded = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            embedded.add(str(font["/BaseFont"]).split("+", 1)[-1])
            descendants = font.get("/DescendantFonts") or []
            for child in descendants:
                descriptor = child.get_object()["/FontDescriptor"].get_object()
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert embedded
    for name in embedded:
        assert normalize(name) in ours, f"{name} is not one of styles/fonts/"


@pytest.mark.parametrize(("paper", "size"), [("a4", (595.3, 841.9)), ("letter", (612.0, 792.0))])
def test_paper_sizes(tmp_path: Path, paper: str, size: tuple[float, float]) -> None:
    out = tmp_path / f"{paper}.pdf"
    result = run("pdf", "-C", REPO, "-o", out, "--paper", paper)
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width), 1), round(float(box.height), 1)) == size
    # Every dimension follows the paper: the contents still fits one page, chapters still start
    # on pages of their own, and nothing is lost.
    assert reader.pages[1].extract_text().startswith("Contents")
    assert normalize("The future of international relations may well depend on it") in (
        normalize(body_text(reader))
    )
