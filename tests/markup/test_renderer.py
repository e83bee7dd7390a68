"""Markdown rendering per target: footnotes, links between chapters, ids, sanitizing."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from build_report.markup.parser import parse
from build_report.markup.renderer import EPUB, PRINT, chapter_html
from build_report.markup.resolver import Resolver
from build_report.project.config import BuildSettings, Config, ReportMeta
from build_report.project.model import Book, Chapter


def chapter(number: int, slug: str, text: str) -> Chapter:
    tokens, env = parse(text, slug)
    source = f"chapters/0{number}-{slug}.md"
    return Chapter(number, slug, slug.title(), source, tokens=tuple(tokens), env=env)


def html(text: str, target: str = PRINT, root: Path = Path("/nonexistent")) -> tuple[str, dict]:
    first = chapter(1, "first", text)
    second = chapter(2, "second", "## Part\n\nText.\n")
    config = Config(ReportMeta("T", "A"), BuildSettings(), root / "report.toml")
    book = Book(config, (first, second), datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    files = None if target == PRINT else {"first": "first.xhtml", "second": "second.xhtml"}
    links = Resolver(book, files).chapter(first)
    return chapter_html(list(first.tokens), first.env, target=target, slug="first", links=links)


def test_typography_and_tables() -> None:
    body, _ = html('"Quoted" -- it\'s\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n')
    assert "“Quoted” – it’s" in body
    assert "<table>" in body and 'style="text-align:right"' in body


def test_heading_ids_are_prefixed_and_unique() -> None:
    body, _ = html("## Same\n\n## Same\n")
    assert 'id="first--same"' in body and 'id="first--same-1"' in body  # as GitHub


def test_footnotes_inline_for_print() -> None:
    body, notes = html("Text.[^n] More.^[Inline note.]\n\n[^n]: The *note*.\n")
    assert '<span class="footnote" id="fn-first-1">The <em>note</em>.</span>' in body
    assert '<span class="footnote" id="fn-first-2">Inline note.</span>' in body
    assert "footnotes-list" not in body and notes == {}  # in print, notes are in the body


def test_footnotes_as_references_for_epub() -> None:
    body, notes = html("Text.[^n]\n\n[^n]: The note.\n", EPUB)
    assert 'href="#fn-first-1"' in body and 'id="fnref-first-1"' in body
    assert notes[0] == "<p>The note.</p>"


@pytest.mark.parametrize(
    ("target", "expected"),
    [(PRINT, 'href="#second--part"'), (EPUB, 'href="second.xhtml#second--part"')],
)
def test_links_between_chapters(target: str, expected: str) -> None:
    body, _ = html("[see](02-second.md#part) and [whole](02-second.md)", target)
    assert expected in body
    assert ("#ch-second" if target == PRINT else "second.xhtml#ch-second") in body


def test_external_links_kept_and_links_out_of_the_book_dropped() -> None:
    body, _ = html("[a](https://example.org/x.md) [b](other.md)")
    assert 'href="https://example.org/x.md"' in body
    assert "other.md" not in body and "<a>b</a>" in body  # the text stays, without a target


def test_raw_html_is_sanitized() -> None:
    body, _ = html(
        '<script>alert(1)</script>\n\n<p onclick="x()">ok <iframe src="x"></iframe>'
        '<a href="javascript:alert(1)">j</a></p>\n'
    )
    assert "script" not in body and "onclick" not in body and "iframe" not in body
    assert "javascript" not in body and "ok" in body


def test_images_resolve_from_the_chapters_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the book's root is relative: "." here
    (tmp_path / "chapters" / "img").mkdir(parents=True)
    (tmp_path / "chapters" / "img" / "a.png").write_bytes(b"png")
    body, _ = html("![alt](img/a.png)", root=Path("."))
    assert 'src="chapters/img/a.png"' in body and 'alt="alt"' in body


def test_a_missing_image_is_a_placeholder_with_its_description() -> None:
    body, _ = html('![A chart of *sales*](img/a.png) <img src="gone.png" alt="Gone">')
    assert "<img" not in body
    assert body.count('class="image-placeholder"') == 2
    assert ">A chart of sales</span>" in body and ">Gone</span>" in body


def test_short_lead_ins_stay_with_what_they_introduce() -> None:
    body, _ = html(
        "Filename: src/main.rs\n\n```rust\nfn main() {}\n```\n\n" + "Long " * 60 + "\n\n- a\n"
    )
    assert '<p class="keep-with-next">Filename: src/main.rs</p>' in body
    assert body.count("keep-with-next") == 1  # a long paragraph before a list is not held
