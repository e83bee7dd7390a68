"""The print book's page breaks in the ebook: a marker where each PDF page starts, and the
`page-list` that leads to them, so that "p. 5" means the same in print, in the ebook and to
a screen-reader user (EPUB Accessibility 1.1, page navigation).

Each page's start comes from the PDF's layout (pages/record.py) as "block `c.k`, `n` letters
in", the block named by markup/blocks.py in both renders. The marker goes:
- before the block, when the page starts with it (a paragraph, heading, code block...), or
  in its first words when the block cannot have a sibling there (a list item, a table row);
- inside the block at the first whole word of the page, when the page starts mid-block (a
  paragraph running over the break), found by counting letters and digits, and checked
  against the page's first letters (the renders differ in a few places: a note's number, a
  page reference); when they do not agree, before the first block that starts on the page;
- at the top of the chapter, when the page starts with the chapter's heading.
Pages without chapter text (cover, contents, summary) get no marker: the ebook's own cover,
title page and contents are other documents, not those pages, and a page-list entry leading
there would say a page is where it is not. A page whose start cannot be placed is left out
rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from build_report.ebook.xhtml import EPUB_NS, XHTML_NS, finish_document
from build_report.markup.blocks import ATTRIBUTE
from build_report.pages.record import PageMap

# A block whose parent takes any flow content: the marker can stand before it.
FLOW_CHILDREN = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "figure"})


@dataclass(frozen=True)
class PageTarget:
    """A page-list entry: the printed number, and the marker's document and id."""

    label: str
    href: str


def marker_id(label: str) -> str:
    return f"page-{label}"


def place(
    documents: dict[str, bytes], chapter_files: list[str], pages: PageMap
) -> list[PageTarget]:
    """Put each page's marker into the chapter documents (by chapter position in
    `chapter_files`), in place; the page-list entries, in page order."""
    trees = {name: etree.fromstring(documents[name]) for name in dict.fromkeys(chapter_files)}
    blocks: dict[str, tuple[str, etree._Element]] = {}
    sections: dict[str, tuple[str, etree._Element]] = {}
    openers: dict[str, tuple[str, etree._Element]] = {}  # a chapter's first block: its section
    for name, root in trees.items():
        for element in root.iter(f"{{{XHTML_NS}}}*"):
            if element.get(ATTRIBUTE):
                blocks.setdefault(element.get(ATTRIBUTE), (name, element))
            if (
                element.tag == f"{{{XHTML_NS}}}section"
                and "chapter" in (element.get("class") or "").split()
            ):
                sections.setdefault(element.get("id") or "", (name, element))
                first = next((e for e in element.iter() if e.get(ATTRIBUTE)), None)
                if first is not None:
                    openers.setdefault(first.get(ATTRIBUTE), (name, element))
    targets: list[PageTarget] = []
    previous_section = None
    for page in pages.pages:
        where = _where(page, blocks, sections, page.section != previous_section, openers)
        previous_section = page.section or previous_section
        if where is None:
            continue
        name, insert = where
        insert(_marker(page.label))
        targets.append(PageTarget(page.label, f"{name}#{marker_id(page.label)}"))
    for name, root in trees.items():
        documents[name] = finish_document(etree.tostring(root, encoding="unicode"))
    return targets


def _marker(label: str) -> etree._Element:
    """`<span epub:type="pagebreak" role="doc-pagebreak" ...>`: empty, so it shows nothing and
    takes no room, and a reading system or screen reader announces the page by its label."""
    marker = etree.Element(f"{{{XHTML_NS}}}span")
    marker.set(f"{{{EPUB_NS}}}type", "pagebreak")
    marker.set("role", "doc-pagebreak")
    marker.set("id", marker_id(label))
    marker.set("title", label)
    marker.set("aria-label", label)
    return marker


def _where(page, blocks, sections, new_section: bool, openers):
    """(document, how to insert the marker) for `page`, or None when it gets none. A page
    that starts in a chapter the ebook leaves out (a selection) and opens one it has gets
    its marker at the top of that chapter, before its heading and boxes, all on the page."""
    if page.block is not None and page.block in blocks:
        name, block = blocks[page.block]
        insert = _in_block(block, page.offset, page.text)
        if insert is not None:
            return name, insert
    elif page.block is None and page.section in sections and new_section:
        name, section = sections[page.section]  # the page opens the chapter
        return name, lambda marker: _first_child(section, marker)
    if page.next in openers and page.block is not None and page.block not in blocks:
        name, section = openers[page.next]
        return name, lambda marker: _first_child(section, marker)
    if page.next is not None and page.next in blocks:
        name, block = blocks[page.next]
        return name, _in_block(block, 0, "")
    return None


def _first_child(parent: etree._Element, marker: etree._Element) -> None:
    marker.tail = parent.text
    parent.text = None
    parent.insert(0, marker)


def _skipped(element: etree._Element) -> bool:
    """What the print layout does not count as the block's text: a note's call number (a
    generated footnote call in print), MathML (drawn as an image in print), and markers
    placed already."""
    if etree.QName(element).localname == "math":
        return True
    return element.get("role") in ("doc-noteref", "doc-pagebreak")


def _slots(block: etree._Element):
    """The block's text in reading order, as (element, "text" or "tail", string)."""

    def walk(element):
        if not _skipped(element):
            if element.text:
                yield element, "text", element.text
            for child in element:
                if isinstance(child.tag, str):
                    yield from walk(child)
                if child.tail:
                    yield child, "tail", child.tail

    yield from walk(block)


def _in_block(block: etree._Element, offset: int, text: str):
    """How to insert a marker `offset` letters into `block`, checked against `text` (the
    page's first letters); None when the block's letters there are not those."""
    slots = list(_slots(block))
    letters = "".join(ch for _, _, s in slots for ch in s if ch.isalnum())
    wanted = text.casefold()
    if wanted and letters[offset : offset + len(text)].casefold() != wanted:
        near = _occurrences(letters.casefold(), wanted)
        if not near:
            return None
        offset = min(near, key=lambda i: abs(i - offset))
    if offset == 0 and etree.QName(block).localname in FLOW_CHILDREN:
        return lambda marker: _before(block, marker)
    counted = 0
    for element, kind, string in slots:
        for index, ch in enumerate(string):
            if not ch.isalnum():
                continue
            if counted == offset:
                index = _word_start(string, index)
                return lambda marker, e=element, k=kind, i=index: _split(e, k, i, marker)
            counted += 1
    return None


def _occurrences(letters: str, wanted: str) -> list[int]:
    found, start = [], letters.find(wanted)
    while start >= 0:
        found.append(start)
        start = letters.find(wanted, start + 1)
    return found


def _word_start(string: str, index: int) -> int:
    """A page that starts inside a word (hyphenated over the break) gets its marker after
    that word, before the next whole one, so no word is cut in two."""
    if index == 0 or not string[index - 1].isalnum():
        return index
    while index < len(string) and not string[index].isspace():
        index += 1
    while index < len(string) and string[index].isspace():
        index += 1
    return index


def _before(block: etree._Element, marker: etree._Element) -> None:
    block.addprevious(marker)


def _split(element: etree._Element, kind: str, index: int, marker: etree._Element) -> None:
    """Insert `marker` at `index` in the element's text (kind "text") or tail ("tail")."""
    if kind == "text":
        string = element.text or ""
        element.text = string[:index] or None
        marker.tail = string[index:] or None
        element.insert(0, marker)
    else:
        string = element.tail or ""
        element.tail = string[:index] or None
        marker.tail = string[index:] or None
        element.addnext(marker)


def strip_block_names(data: bytes) -> bytes:
    """The document without the block names markup/blocks.py gave it (for the print layout's
    sake): the ebook needs them only while it places its markers."""
    marker = f'{ATTRIBUTE}="'.encode()
    if marker not in data:
        return data
    import re

    return re.sub(rb"\s" + marker + rb'[0-9.]*"', b"", data)
