"""Aids checked against the text: a `source:` quote on each aid must be in its chapter's text
(`check` and the builds fail on a stale one, at its front matter line), and every output
links the aid to the quoted passage."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from build_report.markup.aidsources import aids, anchor_id, chapter_files, home, quote_key
from build_report.project.chapters import load_book
from build_report.project.config import load_config
from build_report.project.editions import apply_edition
from lxml import etree

from tests.conftest import REPO, Project, assert_clean_error, normalize, run

XHTML = {"x": "http://www.w3.org/1999/xhtml"}

CHAPTER = """\
---
title: First
key_points:
  - text: They met in Hamburg.
    source: "first official meeting at the summit in Hamburg in July 2017"
  - A plain point, without a source.
timeline:
  - date: July 2017
    event: A meeting of over two hours.
    source: which lasted over two hours
key_terms:
  - term: Productive
    definition: How both described the meeting.
    source: 'It was a "productive" meeting -- both said'
questions:
  - question: How long was the meeting?
    answer: Over two hours.
    source: This meeting, which lasted over two hours
---

Their *first official* meeting at [the summit](https://example.org/g20) in Hamburg[^1] in
July 2017. This meeting, which lasted over two hours, was long.

It was a “productive” meeting—both said so.

[^1]: A note.
"""


def line_of(text: str, needle: str) -> int:
    """The line of `text` that holds `needle` (1-based), as an editor shows it."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def sourced(project: Project) -> Project:
    project.write("chapters/01-first.md", CHAPTER)
    project.write("report.toml", (project.root / "report.toml").read_text() + GLOSSARY)
    return project


GLOSSARY = "\n[back_matter]\nglossary = true\n"


def test_sources_across_markup_quotes_and_dashes_match(sourced: Project) -> None:
    """The first quote spans emphasis, a link and a footnote call; the key term's has straight
    quotes and `--` where the text has curly quotes and an em dash."""
    result = sourced.build("check")
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


def test_stale_source_fails_check_at_its_line(sourced: Project) -> None:
    text = CHAPTER.replace("which lasted over two hours\n", "which lasted three hours\n")
    sourced.write("chapters/01-first.md", text)
    result = sourced.build("check")
    assert result.exit_code == 1, result.output
    line = line_of(text, "source: which lasted three hours")
    found = [x for x in result.output.splitlines() if "stale" in x]
    assert len(found) == 1, result.output
    assert found[0].startswith(f"chapters/01-first.md:{line}: error: stale timeline entry"), found
    assert '"which lasted three hours" is not in the chapter' in found[0]
    assert "quote the passage as the chapter now words it" in found[0]  # what to do


def test_edited_text_makes_every_kind_of_aid_stale(sourced: Project) -> None:
    """The author rewords the text: each aid that quoted the old words is named, each at the
    line of its own source."""
    text = CHAPTER.replace("which lasted over two hours, was long", "lasted long").replace(
        "“productive” meeting", "fruitful meeting"
    )
    sourced.write("chapters/01-first.md", text)
    result = run("-v", "check", "-C", sourced.root)  # -v: each finding, not grouped by kind
    assert result.exit_code == 1
    stale = {x.split(": error: ")[0]: x for x in result.output.splitlines() if "stale" in x}
    where = {
        "timeline entry": line_of(text, "source: which lasted over two hours"),
        "key term": line_of(text, "source: 'It was a"),
        "question": line_of(text, "source: This meeting, which"),
    }
    assert set(stale) == {f"chapters/01-first.md:{n}" for n in where.values()}, result.output
    for kind, n in where.items():
        assert f"error: stale {kind}:" in stale[f"chapters/01-first.md:{n}"]


def test_a_build_with_a_stale_source_stops(sourced: Project) -> None:
    text = CHAPTER.replace('in July 2017"\n', 'in June 2017"\n')
    sourced.write("chapters/01-first.md", text)
    result = sourced.build("pdf")
    line = line_of(text, 'source: "first official meeting at the summit in Hamburg in June')
    error = assert_clean_error(result, names=f"chapters/01-first.md:{line}: stale key point")
    assert "quote the passage as the chapter now words it" in error
    assert not list((sourced.root / "build").glob("*.pdf"))  # nothing half-written


def test_source_keys_are_checked(project: Project) -> None:
    project.write(
        "chapters/01-first.md",
        "---\ntitle: A\ntimeline:\n  - {date: '2017', event: E, sauce: x}\n---\nBody\n",
    )
    result = project.build("check")
    assert result.exit_code == 1
    assert "chapters/01-first.md:3: error: front matter 'timeline' must be a list" in result.output


def test_the_passage_is_wrapped_in_an_anchor_and_each_aid_links_to_it(
    sourced: Project, tmp_path: Path
) -> None:
    out = tmp_path / "book.epub"
    result = sourced.build("epub", "--edition", "teacher", "-o", out)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        docs = {
            n.rsplit("/", 1)[-1]: etree.fromstring(archive.read(n))
            for n in archive.namelist()
            if n.endswith(".xhtml")
        }
    links = [
        (name, link)
        for name, root in docs.items()
        for link in root.xpath("//x:a[@class='aid-source-link']", namespaces=XHTML)
    ]
    # the key point and the timeline entry in the chapter, the key point on the summary page
    # (index.xhtml), the key term in the glossary (which closes the book, in the last file)
    found = sorted(name for name, _ in links)
    assert found == ["first.xhtml", "first.xhtml", "index.xhtml", "second.xhtml"]
    for name, link in links:
        file, target = link.get("href").split("#")
        (passage,) = docs[file or name].xpath(f"//*[@id='{target}']", namespaces=XHTML)
        assert passage.get("class") == "aid-source"
        label = link.xpath(".//x:span/@aria-label", namespaces=XHTML)
        assert label == ["The passage in the text"]
    first = docs["first.xhtml"].xpath("//x:span[@class='aid-source']", namespaces=XHTML)[0]
    # the quote began in an <em>, crossed a link and a note call: the span holds them all
    assert first.xpath("x:em", namespaces=XHTML) and first.xpath("x:a", namespaces=XHTML)
    assert first.xpath(".//x:a[@role='doc-noteref']", namespaces=XHTML)
    words = normalize("".join(first.itertext()))
    assert words == normalize("first official meeting at the summit in Hamburg 1 in July 2017")


def test_default_briefing_every_aid_has_a_source_found_in_its_chapter() -> None:
    """Every aid quotes its chapter, or (the introduction's timeline, which runs over the
    whole article) the chapter it names; the quote is in that chapter's Markdown too."""
    book = load_book(load_config(REPO))
    files = chapter_files(book)
    for chapter in book.chapters:
        items = [
            *chapter.key_points,
            *chapter.timeline,
            *chapter.key_terms,
            *chapter.questions,
        ]
        assert items, chapter.source
        assert all(item.source for item in items), chapter.source
        assert len(aids(chapter)) == len(items)
        for aid in aids(chapter):
            target = home(aid, chapter, files)
            assert aid.source_chapter == "" or target is not chapter
            text = " ".join(t.content for t in target.tokens if t.type == "inline")
            assert quote_key(aid.source) in quote_key(text), (chapter.source, aid.source)
    result = run("check", "-C", REPO)
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output


def _printed_quotes() -> dict[str, str]:
    """Anchor id -> quote, for the aids the default PDF prints: key points and timeline
    entries, and key terms when the glossary is on (questions are the handout's)."""
    book = apply_edition(load_book(load_config(REPO)), "student")
    files = chapter_files(book)
    kinds = {"key point", "timeline entry"}
    if book.config.back_matter.glossary:
        kinds.add("key term")
    return {
        anchor_id(home(aid, chapter, files), aid.source): aid.source
        for chapter in book.chapters
        for aid in aids(chapter)
        if aid.kind in kinds
    }


def test_default_pdf_links_each_aid_to_the_page_of_its_passage(default_pdf: Path) -> None:
    import pdfplumber
    from pypdf import PdfReader

    quotes = _printed_quotes()
    reader = PdfReader(default_pdf)
    dests = {
        name: reader.get_destination_page_number(d) for name, d in reader.named_destinations.items()
    }
    linked: dict[str, set[int]] = {}
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            dest = str(annot.get("/Dest") or "")
            if dest.startswith("src-"):
                linked.setdefault(dest, set()).add(number)
    assert set(linked) == set(quotes)  # every aid links, and only to passages of aids
    with pdfplumber.open(default_pdf) as pdf:
        texts = [normalize(page.extract_text() or "") for page in pdf.pages]
    points = {ident for ident, quote in quotes.items() if quote in _key_point_quotes()}
    (summary,) = [
        reader.get_destination_page_number(i) for i in reader.outline if i.title == "Summary"
    ]
    for ident, quote in quotes.items():
        page = dests[ident]
        start = normalize(" ".join(quote.split()[:4]))
        assert start in texts[page], (ident, quote, page)
        # from the boxes that open its chapter (or the introduction's timeline)
        assert max(linked[ident]) <= page
        if ident in points:  # and from the summary page
            assert summary in linked[ident], (ident, linked[ident])


def _key_point_quotes() -> set[str]:
    book = load_book(load_config(REPO))
    return {p.source for chapter in book.chapters for p in chapter.key_points}


@pytest.mark.slow
def test_teacher_epub_with_glossary_passes_epubcheck(tmp_path: Path) -> None:
    """Every link kind (chapter boxes, summary page, glossary across chapter files)."""
    import shutil

    root = tmp_path / "book"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns("build", ".git", "tests", "bench"))
    toml = root / "report.toml"
    text = toml.read_text(encoding="utf-8")
    if "[back_matter]" in text:
        text = re.sub(r"(?m)^glossary\s*=.*$", "glossary = true", text)
    else:
        text += GLOSSARY
    toml.write_text(text, encoding="utf-8")
    out = tmp_path / "b.epub"
    result = run("epub", "-C", root, "--edition", "teacher", "-o", out, "--check")
    assert result.exit_code == 0, result.output
    assert "EPUBCheck: no errors or warnings" in result.output
    with zipfile.ZipFile(out) as archive:
        glossary = [
            etree.fromstring(archive.read(n))
            for n in archive.namelist()
            if n.endswith(".xhtml") and b'class="glossary' in archive.read(n)
        ]
    (last,) = glossary
    hrefs = last.xpath("//x:dl[@class='glossary-list']//x:a/@href", namespaces=XHTML)
    book = load_book(load_config(REPO))
    terms = [(c.slug, t.term) for c in book.chapters for t in c.key_terms]
    assert len(hrefs) == len(terms)
    files = {h.split("#")[0] for h in hrefs}  # each term links into its own chapter's file
    assert len(files) == len({slug for slug, _ in terms}) > 1


def test_crossing_quotes_nest_and_stay_well_formed(project: Project, tmp_path: Path) -> None:
    """Two aids quote overlapping words ("A B", "B C"): elements cannot cross, so the span
    placed second takes in the first whole; both ids are there, and the XHTML parses."""
    project.write(
        "chapters/01-first.md",
        "---\ntitle: First\nkey_points:\n"
        "  - {text: One., source: 'the first official meeting'}\n"
        "  - {text: Two., source: 'official meeting at the G20 summit'}\n"
        "---\n\nIt was the first official meeting at the G20 summit in Hamburg.\n",
    )
    out = tmp_path / "html"
    result = project.build("html", "-o", out)
    assert result.exit_code == 0, result.output
    root = etree.parse(str(out / "first.xhtml")).getroot()
    spans = root.xpath("//x:span[@class='aid-source']", namespaces=XHTML)
    assert len(spans) == 2
    outer, inner = spans
    assert outer in inner.iterancestors()  # (inside the span of the spaces before it)
    quotes = {
        normalize("the first official meeting"),
        normalize("official meeting at the G20 summit"),
    }
    assert normalize("".join(inner.itertext())) in quotes  # one passage as quoted
    assert all(q in normalize("".join(outer.itertext())) for q in quotes)  # holding the other
    hrefs = root.xpath("//x:a[@class='aid-source-link']/@href", namespaces=XHTML)
    assert sorted(h.split("#")[1] for h in hrefs) == sorted(s.get("id") for s in spans)


def test_handouts_print_no_links_to_passages(sourced: Project, tmp_path: Path) -> None:
    """A handout is for paper: an arrow to follow would be a mark to ignore (and on the
    teacher's ruled lines, one more character than the answer was given room for)."""
    from pypdf import PdfReader

    for edition in ("teacher", "student"):
        out = tmp_path / f"{edition}.pdf"
        result = sourced.build("handout", "--edition", edition, "-o", out)
        assert result.exit_code == 0, result.output
        reader = PdfReader(out)
        links = [
            annot.get_object().get("/Dest")
            for page in reader.pages
            for annot in page.get("/Annots") or []
            if str(annot.get_object().get("/Dest", "")).startswith("src-")
        ]
        assert links == []
        assert "\u2197" not in "".join(page.extract_text() for page in reader.pages)


OTHER = """\
---
title: Second
timeline:
  - date: July 2017
    event: A long meeting, told in the first chapter.
    source: which lasted over two hours
    source_chapter: 01-first.md
---

And the second.
"""


def test_an_aid_may_quote_the_chapter_it_names(sourced: Project, tmp_path: Path) -> None:
    """An overview chapter's aid quotes another chapter (`source_chapter:`): it links into
    that chapter's file, and is stale when that chapter's text changes."""
    sourced.write("chapters/02-second.md", OTHER)
    out = tmp_path / "html"
    result = sourced.build("html", "-o", out)
    assert result.exit_code == 0, result.output
    second = etree.parse(str(out / "second.xhtml")).getroot()
    timeline = "//x:aside[contains(@class, 'timeline')]//x:a[@class='aid-source-link']/@href"
    (href,) = second.xpath(timeline, namespaces=XHTML)
    file, ident = href.split("#")
    assert file == "first.xhtml"
    (passage,) = (
        etree.parse(str(out / file)).getroot().xpath(f"//*[@id='{ident}']", namespaces=XHTML)
    )
    assert normalize("".join(passage.itertext())) == normalize("which lasted over two hours")

    sourced.write("chapters/01-first.md", CHAPTER.replace("lasted over two hours,", "lasted,"))
    result = run("-v", "check", "-C", sourced.root)
    line = line_of(OTHER, "source: which lasted")
    assert (
        f"chapters/02-second.md:{line}: error: stale timeline entry: its source "
        '"which lasted over two hours" is not in the text of chapters/01-first.md'
    ) in result.output

    sourced.write("chapters/01-first.md", CHAPTER)
    sourced.write("chapters/02-second.md", OTHER.replace("01-first.md", "01-frist.md"))
    result = sourced.build("check")
    assert result.exit_code == 1
    assert "source_chapter '01-frist.md' is not a chapter of the book" in result.output


def test_the_anchor_is_in_the_text_not_in_a_pull_quote(project: Project, tmp_path: Path) -> None:
    """A pull quote repeats the author's words before they come: the aid links to the text."""
    project.write(
        "chapters/01-first.md",
        "---\ntitle: First\nkey_points:\n  - {text: Long., source: 'lasted over two hours'}\n"
        "---\n\n::: pullquote\nThe meeting lasted over two hours.\n:::\n\n"
        "The meeting, which lasted over two hours, was long.\n",
    )
    out = tmp_path / "html"
    result = project.build("html", "-o", out)
    assert result.exit_code == 0, result.output
    root = etree.parse(str(out / "first.xhtml")).getroot()
    (passage,) = root.xpath("//x:span[@class='aid-source']", namespaces=XHTML)
    paragraph = next(passage.iterancestors("{http://www.w3.org/1999/xhtml}p"))
    assert "pullquote" not in (paragraph.getparent().get("class") or "")
    assert "".join(paragraph.itertext()).startswith("The meeting, which")
