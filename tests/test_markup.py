"""Markdown rendering per target: footnotes, links between chapters, ids, sanitizing."""

from __future__ import annotations

import pytest

from build_report.markup.parser import EPUB, PRINT, LinkMap, parse, render

LINKS_PRINT = LinkMap(PRINT, {"02-second.md": "second"}, {})
LINKS_EPUB = LinkMap(EPUB, {"02-second.md": "second"}, {"second": "second.xhtml"})


def html(text: str, target: str = PRINT) -> tuple[str, dict]:
    tokens, env = parse(text, "first")
    return render(
        tokens,
        env,
        target=target,
        slug="first",
        links=LINKS_PRINT if target == PRINT else LINKS_EPUB,
    )


def test_typography_and_tables() -> None:
    body, _ = html('"Quoted" -- it\'s\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n')
    assert "“Quoted” – it’s" in body
    assert "<table>" in body and 'style="text-align:right"' in body


def test_heading_ids_are_prefixed_and_unique() -> None:
    body, _ = html("## Same\n\n## Same\n")
    assert 'id="first--same"' in body and 'id="first--same-2"' in body


def test_footnotes_inline_for_print() -> None:
    body, notes = html("Text.[^n] More.^[Inline note.]\n\n[^n]: The *note*.\n")
    assert '<span class="footnote" id="fn-first-1">The <em>note</em>.</span>' in body
    assert '<span class="footnote" id="fn-first-2">Inline note.</span>' in body
    assert "footnotes-list" not in body and len(notes) == 2


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


def test_external_and_unknown_links_untouched() -> None:
    body, _ = html("[a](https://example.org/x.md) [b](other.md)")
    assert 'href="https://example.org/x.md"' in body and 'href="other.md"' in body


def test_raw_html_is_sanitized() -> None:
    body, _ = html(
        '<script>alert(1)</script>\n\n<p onclick="x()">ok <iframe src="x"></iframe>'
        '<a href="javascript:alert(1)">j</a></p>\n'
    )
    assert "script" not in body and "onclick" not in body and "iframe" not in body
    assert "javascript" not in body and "ok" in body


def test_images_resolve_from_the_chapters_folder() -> None:
    body, _ = html("![alt](img/a.png)")
    assert 'src="chapters/img/a.png"' in body and 'alt="alt"' in body
