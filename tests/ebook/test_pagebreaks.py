"""Where a page marker goes in a chapter document, given where the print page starts
(ebook/pagebreaks.py), and the block names both renders share (markup/blocks.py)."""

from __future__ import annotations

from build_report.ebook.pagebreaks import place
from build_report.markup.blocks import mark_blocks
from build_report.pages.record import PageMap, PageStart
from lxml import etree

X = "{http://www.w3.org/1999/xhtml}"
CHAPTER = """<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<body><section class="chapter" id="ch-one"><h1>One</h1><div class="chapter-body">
<p data-pb="1.0">First paragraph, which runs over the break in a hyphenated
word and goes on<sup><a role="doc-noteref" href="#n">7</a></sup> after it.</p>
<h2 data-pb="1.1">A heading</h2>
<table><tr data-pb="1.2"><td>Cell one</td><td>Cell two</td></tr></table>
<ul><li data-pb="1.3">An item</li></ul>
<p data-pb="1.4">Last.</p>
</div></section></body></html>"""


def page(label, block=None, offset=0, text="", next=None, section=None) -> PageStart:
    return PageStart(str(label), block, offset, text, next, section, ())


def placed(*pages: PageStart) -> tuple[etree._Element, list]:
    documents = {"one.xhtml": CHAPTER.encode()}
    targets = place(documents, ["one.xhtml"], PageMap(pages))
    return etree.fromstring(documents["one.xhtml"]), targets


def after(root: etree._Element, label: str) -> str:
    """The text right after page `label`'s marker, up to the next element."""
    marker = root.find(f".//{X}span[@id='page-{label}']")
    assert marker is not None and marker.get("role") == "doc-pagebreak"
    assert marker.get("{http://www.idpf.org/2007/ops}type") == "pagebreak"
    assert marker.get("title") == marker.get("aria-label") == label
    return marker.tail or ""


def letters_before(word: str) -> int:
    text = "First paragraph, which runs over the break in a hyphenated word"
    return sum(ch.isalnum() for ch in text[: text.index(word)])


def test_a_page_that_starts_mid_paragraph_gets_its_marker_at_the_word() -> None:
    offset = letters_before("break")
    root, targets = placed(page(2, "1.0", offset, "breakinahyphen"))
    assert after(root, "2").startswith("break in a hyphenated")
    assert [(t.label, t.href) for t in targets] == [("2", "one.xhtml#page-2")]


def test_a_word_hyphenated_over_the_break_is_not_cut() -> None:
    offset = letters_before("hyphenated") + len("hyphen")  # layout: "hyphen-" | "ated"
    root, _ = placed(page(2, "1.0", offset, "atedwordandgoeson"))
    assert after(root, "2").lstrip().startswith("word and goes on")


def test_a_notes_number_is_not_counted() -> None:
    """Print draws the call as a generated footnote-call: the letters after it match."""
    text = "First paragraph, which runs over the break in a hyphenated word and goes on"
    offset = sum(ch.isalnum() for ch in text)
    root, _ = placed(page(2, "1.0", offset, "afterit"))
    assert after(root, "2").startswith("after it")


def test_a_page_that_starts_with_a_block_has_its_marker_before_it() -> None:
    root, _ = placed(page(3, "1.1", 0, "Aheading"))
    heading = root.find(f".//{X}h2")
    assert heading.getprevious().get("id") == "page-3", "not inside: not part of the heading"


def test_rows_and_items_take_the_marker_inside() -> None:
    root, _ = placed(page(4, "1.2", 0, "Cellone"), page(5, "1.3", 0, "Anitem"))
    assert root.find(f".//{X}td/{X}span").get("id") == "page-4"
    assert root.find(f".//{X}li/{X}span").get("id") == "page-5"


def test_the_chapters_first_page_marks_the_chapter_top() -> None:
    root, _ = placed(page(1, None, 0, "CHAPTER1", "1.0", "ch-one"))
    section = root.find(f".//{X}section")
    assert section[0].get("id") == "page-1"


def test_text_that_does_not_agree_falls_back_to_the_next_block() -> None:
    root, _ = placed(page(6, "1.0", 5, "nothinglikethis", "1.4"))
    assert root.find(f".//{X}p[@data-pb='1.4']").getprevious().get("id") == "page-6"


def test_pages_without_chapter_text_get_no_marker() -> None:
    root, targets = placed(page(1, None, 0, "BRIEFING"), page(2, None, 0, "Contents"))
    assert targets == [] and root.find(f".//{X}span") is None


def test_blocks_are_named_in_order_and_only_in_tags() -> None:
    html = '<h2 id="a">T</h2>\n<p>x <img alt="a <p b" src="i.png"> y</p><!-- <p> -->\n'
    html += "<ul>\n<li>one</li>\n</ul>\n<table><tr><td>1</td></tr></table>\n<pre>a &lt;p b</pre>"
    marked = mark_blocks(html, 4)
    assert marked.count("data-pb=") == 5
    assert '<h2 id="a" data-pb="4.0">' in marked
    for k, tag in enumerate(["p", "li", "tr", "pre"], start=1):
        assert f'<{tag} data-pb="4.{k}">' in marked
    assert 'alt="a <p b"' in marked and "<!-- <p> -->" in marked
